#!/usr/bin/env bash
# The whole test suite: unit + contract (fakes, milliseconds), the dashboard in a real browser
# (Debian's chromium: apt-get install chromium), the sample jobs' Maven tests
# (MiniCluster), integration tests against real Flink and Kafka processes started by the
# project's own code, the Kubernetes tests against a real API server (its binaries are built from
# Go module sources on first use: about 11 minutes, then cached in ~/.cache/khaos-k8s), and a
# final check that no process the tests started survived them.
# Ends with one line "N passed, N failed, N skipped" summing every suite (skipped: vitest's
# skipped and todo tests, Maven's Skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
export KHAOS_HOME="${KHAOS_HOME:-$PWD/.khaos/test}"
bash scripts/ensure-deps.sh

passed=0; failed=0; skipped=0
count_vitest() { # reads a vitest JSON report
  local f=$1
  if [ -s "$f" ]; then
    local p q s
    p=$(node -e "const r=require('$f');console.log(r.numPassedTests)")
    # failed tests, plus each file that failed without a test of its own (it did not load); numFailedTestSuites
    # also counts describe blocks, so one failed test would count twice
    q=$(node -e "const r=require('$f');console.log(r.numFailedTests + r.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length)")
    # skipped (it.skip, skipIf) are "pending" in the report; it.todo are counted apart
    s=$(node -e "const r=require('$f');console.log((r.numPendingTests||0) + (r.numTodoTests||0))")
    passed=$((passed + p)); failed=$((failed + q)); skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
}

mkdir -p .khaos
echo "== unit and contract tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.khaos/unit.json
count_vitest "$PWD/.khaos/unit.json"

echo "== browser tests (the dashboard in Debian's chromium, driven by playwright-core)"
bash scripts/ensure-chromium.sh || true   # when it cannot install, the browser tests fail and say why
npx vitest run --project browser --reporter=default --reporter=json --outputFile.json=.khaos/browser.json
count_vitest "$PWD/.khaos/browser.json"

echo "== sample jobs (Maven, MiniCluster)"
mvn -B -ntp -f jobs/pom.xml test > .khaos/jobs-test.log 2>&1; mvn_rc=$?
grep -E 'Tests run:|BUILD|ERROR' .khaos/jobs-test.log | tail -8
line=$(grep -E '^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' .khaos/jobs-test.log | tail -1)
if [ -n "$line" ]; then
  run=$(sed -E 's/.*Tests run: ([0-9]+).*/\1/' <<<"$line"); fl=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line"); er=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line"); sk=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + run - fl - er - sk)); failed=$((failed + fl + er)); skipped=$((skipped + sk))
fi
[ $mvn_rc -eq 0 ] || { [ -n "$line" ] && [ $((fl + er)) -gt 0 ] || failed=$((failed + 1)); }

echo "== integration tests (real Flink and Kafka processes)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=.khaos/integration.json
count_vitest "$PWD/.khaos/integration.json"

echo "== Kubernetes tests (a real kube-apiserver, etcd, controller-manager, scheduler and kwok, built from Go module sources once per machine)"
if bash scripts/k8s/build.sh; then
  npx vitest run --project k8s --reporter=default --reporter=json --outputFile.json=.khaos/k8s.json
  count_vitest "$PWD/.khaos/k8s.json"
else
  echo "the Kubernetes control plane did not build (see above): its tests did not run"; failed=$((failed + 1))
fi

echo "== no process left behind"
left=$(pgrep -f -- '-Dkhaos.stack=|khaos-k8s/bin/' || true)
if [ -z "$left" ]; then echo "no Flink, Kafka or control-plane process survived the tests"; passed=$((passed + 1))
else echo "processes survived the tests:"; ps -o pid,args -p $left | cut -c1-200; pkill -9 -f -- '-Dkhaos.stack=|khaos-k8s/bin/'; failed=$((failed + 1)); fi

echo "== failed tests"
for f in .khaos/unit.json .khaos/browser.json .khaos/integration.json .khaos/k8s.json; do
  [ -s "$f" ] && node -e "for (const t of require('./$f').testResults) { if (t.status === 'failed' && t.assertionResults.length === 0) console.log('✗ ' + t.name + ': ' + String(t.message).split('\\n')[0].slice(0, 300)); for (const a of t.assertionResults) if (a.status === 'failed') console.log('✗ ' + t.name.replace(process.cwd() + '/', '') + ' > ' + a.fullName + ': ' + String(a.failureMessages[0] ?? '').split('\\n')[0].slice(0, 300)); }"
done
grep -E '<<< (FAILURE|ERROR)!' .khaos/jobs-test.log 2>/dev/null | head -5
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
