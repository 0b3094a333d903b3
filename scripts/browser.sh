#!/usr/bin/env bash
# The browser the page's test drives: Debian's chromium package, installed with apt when it is
# missing (playwright-core, an npm devDependency, downloads no browser of its own). Idempotent;
# prints the executable's path on standard output.
#
#   scripts/browser.sh        install when missing, print the path
#
# Environment: CHROMIUM (a browser executable to use instead).
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }

found() {
  local c
  for c in "${CHROMIUM:-}" chromium chromium-browser; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if found; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "no chromium and no apt-get: install a Chromium and set CHROMIUM to its executable"
  exit 1
fi
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
log "installing Debian's chromium"
"${sudo[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
found || {
  log "chromium is still missing after apt-get install"
  exit 1
}
