#!/usr/bin/env bash
# Installs the npm packages on first use (or when package-lock.json changed), with npm's progress.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.khaos-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "khaos: installing npm packages (first run; better-sqlite3 compiles, about a minute)…" >&2
  npm ci --no-audit --no-fund >&2
  touch "$stamp"
fi
