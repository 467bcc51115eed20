#!/usr/bin/env bash
# Builds the local Kubernetes control plane used by Khaos's Kubernetes tests, from Go module
# sources (see ../shared/k8s/README.md): etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, into a cache outside git. A binary already built for the same version
# is skipped, so only the first run on a machine pays the minutes.
#   KHAOS_K8S_CACHE  cache directory (default ~/.cache/khaos-k8s); binaries land in its bin/
set -euo pipefail

K8S_VERSION=v1.37.2
K8S_STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

CACHE="${KHAOS_K8S_CACHE:-$HOME/.cache/khaos-k8s}"
BIN="$CACHE/bin"
mkdir -p "$BIN" "$CACHE/src"

log() { printf '[k8s-build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[k8s-build] error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go not found on PATH; install Go >= 1.26 (k8s $K8S_VERSION needs it)"

# built NAME VERSION: true when bin/NAME exists and was built for VERSION (stamp file beside it).
built() { [[ -x "$BIN/$1" && "$(cat "$BIN/.$1.version" 2>/dev/null)" == "$2" ]]; }
stamp() { echo "$2" > "$BIN/.$1.version"; }

# timed NAME VERSION CMD...: runs CMD unless NAME is already built for VERSION; prints seconds.
timed() {
  local name=$1 version=$2; shift 2
  if built "$name" "$version"; then log "$name $version: already built, skipped"; return; fi
  log "$name $version: building (cold builds take minutes; output in $CACHE/build-$name.log)"
  local start=$SECONDS
  if ! "$@" > "$CACHE/build-$name.log" 2>&1; then
    tail -20 "$CACHE/build-$name.log" >&2
    die "$name build failed; full log: $CACHE/build-$name.log"
  fi
  stamp "$name" "$version"
  log "$name $version: built in $((SECONDS - start)) s"
}

# A module of our own that requires MODULE@VERSION and replaces the modules MODULE's go.mod
# points at local directories (which `go install` refuses) with their published versions.
# make_module DIR MODULE VERSION REPLACE_VERSION_SED
make_module() {
  local dir=$1 module=$2 version=$3 sed_expr=$4
  [[ -f "$dir/.ready" ]] && return
  log "generating build module for $module@$version in $dir"
  rm -rf "$dir"; mkdir -p "$dir"
  local gomod
  gomod=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f "$gomod" ]] || die "could not download $module@$version from the Go module proxy"
  {
    echo "module khaos.local/build"
    echo
    grep -E '^go ' "$gomod"
    echo
    echo "require $module $version"
    echo
    echo "replace ("
    grep -E '=> \.\.?/' "$gomod" | grep -v FORBIDDEN | sed -E "$sed_expr"
    echo ")"
  } > "$dir/go.mod"
  echo "package build" > "$dir/build.go"
  touch "$dir/.ready"
}

# go_build DIR PKG VERSION OUT [LDFLAGS]: resolves PKG@VERSION's dependencies in DIR's module and builds it.
go_build() {
  local dir=$1 pkg=$2 version=$3 out=$4 ldflags=${5:-}
  (cd "$dir" && go get "$pkg@$version" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg" && mv "$out.tmp" "$out")
}

ETCD_DIR="$CACHE/src/etcd-$ETCD_VERSION"
K8S_DIR="$CACHE/src/kubernetes-$K8S_VERSION"

if ! built etcd "$ETCD_VERSION"; then
  make_module "$ETCD_DIR" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" \
    "s#^[[:space:]]*([^[:space:]]+)[[:space:]]*=>.*#\t\1 => \1 $ETCD_VERSION#"
fi
timed etcd "$ETCD_VERSION" go_build "$ETCD_DIR" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$BIN/etcd"

K8S_MINOR=${K8S_VERSION#v1.}; K8S_MINOR=${K8S_MINOR%%.*}
K8S_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$K8S_MINOR -X k8s.io/component-base/version.gitTreeState=clean"
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  if ! built "$cmd" "$K8S_VERSION"; then
    make_module "$K8S_DIR" k8s.io/kubernetes "$K8S_VERSION" \
      "s#^[[:space:]]*([^[:space:]]+)[[:space:]]*=>.*#\t\1 => \1 $K8S_STAGING_VERSION#"
  fi
  timed "$cmd" "$K8S_VERSION" go_build "$K8S_DIR" "k8s.io/kubernetes/cmd/$cmd" "$K8S_VERSION" "$BIN/$cmd" "$K8S_LDFLAGS"
done

install_kwok() {
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" &&
  local src; src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') &&
  rm -rf "$CACHE/kwok-stages" && mkdir -p "$CACHE/kwok-stages" &&
  for stage in node/fast node/heartbeat pod/fast; do
    for f in "$src/kustomize/stage/$stage/"*.yaml; do
      [[ "$(basename "$f")" == kustomization.yaml ]] && continue
      cp "$f" "$CACHE/kwok-stages/${stage//\//-}-$(basename "$f")" || return 1
    done
  done
}
[[ -d "$CACHE/kwok-stages" ]] || rm -f "$BIN/.kwok.version" # the stage files come with the install
timed kwok "$KWOK_VERSION" install_kwok

log "all binaries ready in $BIN"
