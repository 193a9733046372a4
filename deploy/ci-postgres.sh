#!/usr/bin/env bash
# Runs `make test` against a throwaway PostgreSQL cluster of its own: initdb into a temporary
# directory, a free loopback port, its unix socket inside that directory, trust auth. The
# machine's own PostgreSQL (if any) is never touched. The cluster is stopped and deleted on exit.
# Usage: ci-postgres.sh [make arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -n 1 || true)
if [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found (run: bash deploy/system-packages.sh test)" >&2
  exit 1
fi

# initdb refuses to run as root: as root, the cluster belongs to the `postgres` system user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  as_owner=(runuser -u postgres --)
fi

cluster=$(mktemp -d /tmp/effboard-pg.XXXXXX)
chmod 755 "$cluster"
mkdir "$cluster/data" "$cluster/socket"
[ ${#as_owner[@]} -eq 0 ] || chown postgres: "$cluster/data" "$cluster/socket"

stop_cluster() {
  "${as_owner[@]}" "$bindir/pg_ctl" stop -D "$cluster/data" -m immediate >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap stop_cluster EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"${as_owner[@]}" "$bindir/initdb" -D "$cluster/data" --username=postgres --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 >"$cluster/initdb.log" 2>&1 \
  || { cat "$cluster/initdb.log" >&2; exit 1; }
# fsync off: the cluster is thrown away, so durability only costs time.
"${as_owner[@]}" "$bindir/pg_ctl" start -w -D "$cluster/data" -l "$cluster/data/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster/socket -c fsync=off" >/dev/null \
  || { cat "$cluster/data/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres effboard

echo "Running the suite on PostgreSQL (throwaway cluster on 127.0.0.1:$port) ..."
# pytest's exit 5 (no tests ran) is non-zero, so it fails this script like any other failure.
DATABASE_URL="postgres://postgres@127.0.0.1:$port/effboard" make test "$@"
