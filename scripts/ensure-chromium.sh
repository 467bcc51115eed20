#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests when it is missing (playwright-core
# drives it and downloads no browser). Needs apt-get and root; otherwise says what to do and fails,
# and the browser tests that need it fail with the same message. KHAOS_CHROMIUM points at another build.
set -euo pipefail
if [ -n "${KHAOS_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then exit 0; fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "khaos: installing Debian's chromium for the dashboard's browser tests (apt-get, about a minute)…" >&2
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
else
  echo "khaos: chromium is missing: install Debian's chromium package (as root: apt-get install chromium), or set KHAOS_CHROMIUM to a chromium binary" >&2
  exit 1
fi
