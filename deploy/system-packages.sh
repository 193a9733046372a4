#!/usr/bin/env bash
# Installs the Debian packages Effboard needs when they are missing (as root, with apt),
# or names them in one line. Usage: system-packages.sh run|test
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ "${1:-run}" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # The suite runs a second time on a throwaway PostgreSQL cluster (deploy/ci-postgres.sh).
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  # tests/test_compose.py validates deploy/docker-compose.yml; no Docker engine is needed.
  { docker compose version || command -v docker-compose; } >/dev/null 2>&1 || need+=(docker-compose)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${need[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Effboard needs these Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
