#!/usr/bin/env bash
# Installs the npm packages on first use (or when package-lock.json changed), with npm's progress.
# One install at a time: a second caller waits for the first (two `npm ci` at once empty node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.khaos-installed
needed() { [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; }
if needed; then
  mkdir -p .khaos
  exec 9>.khaos/npm-install.lock
  if ! flock -n 9; then
    echo "khaos: another install of the npm packages is running; waiting for it…" >&2
    flock 9
  fi
  if needed; then
    echo "khaos: installing npm packages (first run; better-sqlite3 compiles, about a minute)…" >&2
    npm ci --no-audit --no-fund >&2
    touch "$stamp"
  fi
fi
