#!/usr/bin/env bash
# `make run`: sets up and serves Effboard on this machine; Ctrl-C stops all it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
WORKERS="${WORKERS:-$(nproc)}"
mkdir -p var

bash deploy/system-packages.sh run

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping Effboard ..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

redis_answers() {
  $PY -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1).ping()' \
    2>/dev/null
}
if redis_answers; then
  echo "Using the Redis at $REDIS_URL"
else
  port=$($PY -c 'import os, urllib.parse; print(urllib.parse.urlsplit(os.environ["REDIS_URL"]).port or 6379)')
  echo "Starting redis-server on 127.0.0.1:$port (log: var/redis.log)"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir var \
    --logfile "$PWD/var/redis.log" &
  pids+=($!)
  for _ in $(seq 100); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "redis-server did not start: see var/redis.log" >&2; exit 1; }
fi

$PY manage.py migrate --noinput -v0
$PY manage.py import_enamel
$PY manage.py collectstatic --noinput -v0
$PY manage.py load_examples

for n in $(seq "$WORKERS"); do
  $PY manage.py rqworker default --name "local-$n-$$" &
  pids+=($!)
done

echo "Effboard is at http://127.0.0.1:8000 (admin: .venv/bin/python manage.py createsuperuser)"
$PY manage.py runserver 127.0.0.1:8000 --noreload &
web=$!
pids+=("$web")
wait "$web"
