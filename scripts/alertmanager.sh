#!/usr/bin/env bash
# Makes sure Prometheus Alertmanager (Debian's prometheus-alertmanager) is installed, for the
# integration tests that run a real one on loopback (test/alertmanager.ts starts and stops it).
# The Debian binary reads its default templates from /usr/share/prometheus/alertmanager, so the
# package is installed, not extracted; policy-rc.d (containers) keeps its service from starting.
#
#   scripts/alertmanager.sh install    install when missing (idempotent); prints the binary's path
set -euo pipefail

bin=/usr/bin/prometheus-alertmanager
log() { printf '[alertmanager] %s\n' "$*" >&2; }

case "${1:-install}" in
  install)
    if [ ! -x "$bin" ]; then
      log "installing prometheus-alertmanager (Debian package)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
    fi
    echo "$bin"
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
