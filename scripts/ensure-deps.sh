#!/usr/bin/env bash
# Installs the npm packages on first use (or when package-lock.json changed), with npm's progress.
# "Changed" is by content: the stamp holds the lock file's hash, so a checkout or a copy that only
# touches its modification time installs nothing.
# One install at a time: a second caller waits for the first (two `npm ci` at once empty node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.khaos-installed
lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }
needed() { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(lock_hash)" ]; }
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
    lock_hash > "$stamp"
  fi
fi
