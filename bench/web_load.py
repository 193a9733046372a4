"""Web: throughput and latency of the production web process under load, on PostgreSQL.

    .venv/bin/python bench/web_load.py [--duration 60] [--connections 50] [--threads 2]
        [--workers 4] [--models 500] [--problems 142] [--paths /,/api/leaderboard]
        [--rounds 1] [--out bench/out]

Starts a throwaway PostgreSQL cluster (as deploy/ci-postgres.sh does) and a private
redis-server (the leaderboard's cache), each on a free loopback port; migrates, imports
ENAMEL, fills the leaderboard with `bench/synthesize_results.py --models M --problems P
--seed 0` (synthetic published results), runs `collectstatic`, and serves it with gunicorn
(deploy/gunicorn.conf.py, --workers processes) with DEBUG off, a random SECRET_KEY and
ALLOWED_HOSTS=127.0.0.1. Requests carry `X-Forwarded-Proto: https`, as nginx sends after
terminating TLS (otherwise every plain-HTTP request is a 301 to https). After a short
sequential warm-up that must answer 200 (it also fills the cache), each path gets
`wrk -t T -c C -d D --latency`; rounds alternate the order of the paths.

Per path: requests per second, latency p50/p95/p99/max (wrk's own histogram, read by a
Lua `done` hook since wrk's --latency table has no p95), socket errors (connect, read,
write, timeout), and non-2xx responses counted from gunicorn's access log (wrk itself
counts only statuses >= 400). Writes bench/out/web_load.json.

Target: p95 <= 100 ms on both paths, no socket errors, no non-2xx responses.
wrk is the Debian package `wrk` (apt-get install wrk).
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from common import (
    PYTHON,
    ROOT,
    SHARED,
    free_port,
    markdown_table,
    postgres_cluster,
    prepare_database,
    private_redis,
    stop_process,
    write_report,
)

HEADERS = {"X-Forwarded-Proto": "https"}
# wrk's summary as one JSON line; latency figures are in microseconds.
DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, ' ..
    '"max": %d, "mean": %f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""
# A request line inside gunicorn's access log entries: "GET /path HTTP/1.1" 200
ACCESS = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d{3})')


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_serving(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            get(port, "/healthz")  # 503 without RQ workers, but it answers
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def statuses_since(log: Path, offset: int, path: str) -> dict[str, int]:
    """Status counts of GETs of exactly `path` logged after byte `offset` of the access log."""
    counts: dict[str, int] = {}
    with log.open("rb") as handle:
        handle.seek(offset)
        for raw in handle:
            line = raw.decode(errors="replace")
            # JSON lines (leaderboard.project.json_logging) whose message holds the request.
            with contextlib.suppress(ValueError, AttributeError):
                line = json.loads(line).get("message", line)
            match = ACCESS.search(line)
            if match and match.group(1) == path:
                counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    return counts


def run_wrk(port: int, path: str, args: argparse.Namespace, hook: Path, log: Path) -> dict:
    offset = log.stat().st_size
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency", "--timeout", "10s", "-s", str(hook),
               *(arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")),
               f"http://127.0.0.1:{port}{path}"]
    completed = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    # Let gunicorn's workers write the last entries before counting them.
    time.sleep(1)
    statuses = statuses_since(log, offset, path)
    return {
        "path": path,
        "requests": raw["requests"],
        "requests_per_second": raw["requests"] / (raw["duration_us"] / 1e6),
        "mean_response_bytes": raw["bytes"] / max(1, raw["requests"]),
        **{f"{p}_ms": raw[p] / 1000 for p in ("p50", "p90", "p95", "p99", "max")},
        "mean_ms": raw["mean"] / 1000,
        "socket_errors": {k: raw[k] for k in ("connect", "read", "write", "timeout")},
        "wrk_status_errors": raw["status"],
        "statuses": statuses,
        "non_2xx": sum(n for status, n in statuses.items() if not status.startswith("2")),
        "wrk_output": completed.stdout,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of wrk per path")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--problems", type=int, default=142)
    parser.add_argument("--paths", default="/,/api/leaderboard")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    out = Path(args.out)
    workdir = (out / "web_load").resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    paths = args.paths.split(",")
    hook = workdir / "done.lua"
    hook.write_text(DONE_HOOK)
    log = workdir / "gunicorn.log"

    with contextlib.ExitStack() as stack:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": stack.enter_context(postgres_cluster()),
            "REDIS_URL": stack.enter_context(private_redis(workdir)),
            "EFFBOARD_VAR_DIR": str(workdir),
            "ENAMEL_DATA_DIR": str(SHARED / "enamel"),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(args.workers),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        prepare_database(env)
        started = time.monotonic()
        subprocess.run([PYTHON, str(ROOT / "bench" / "synthesize_results.py"),
                        "--models", str(args.models), "--problems", str(args.problems),
                        "--seed", "0"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        synthesize_seconds = time.monotonic() - started
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
                       cwd=ROOT, env=env, check=True)
        with log.open("w") as handle:
            server = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT,
            )
        stack.callback(stop_process, server)
        wait_until_serving(port, server, log)
        warmup = {}
        for path in paths:
            # Every gunicorn worker should see each page at least once (and the cache be full).
            for _ in range(3 * args.workers):
                status, body = get(port, path)
                if status != 200:
                    excerpt = body[:2000].decode(errors="replace")
                    raise SystemExit(f"GET {path}: {status}\n{excerpt}")
            warmup[path] = len(body)
        results = []
        for number in range(args.rounds):
            for path in paths if number % 2 == 0 else list(reversed(paths)):
                result = run_wrk(port, path, args, hook, log)
                result["round"] = number
                results.append(result)
                print(f"round {number} {path}: {result['requests_per_second']:.0f} req/s, "
                      f"p95 {result['p95_ms']:.1f} ms, non-2xx {result['non_2xx']}, "
                      f"socket errors {sum(result['socket_errors'].values())}", flush=True)

    rows = [[r["path"], r["round"], r["requests_per_second"], r["p50_ms"], r["p95_ms"],
             r["p99_ms"], r["non_2xx"], sum(r["socket_errors"].values()),
             round(r["mean_response_bytes"] / 1024, 1)] for r in results]
    table = markdown_table(
        ["path", "round", "req/s", "p50 (ms)", "p95 (ms)", "p99 (ms)", "non-2xx",
         "socket errors", "response (KiB)"],
        rows,
    )
    target_met = all(r["p95_ms"] <= 100 and r["non_2xx"] == 0
                     and not any(r["socket_errors"].values()) for r in results)
    write_report(out, "web_load", {
        "settings": {k: getattr(args, k) for k in
                     ("duration", "connections", "threads", "workers", "models", "problems",
                      "rounds")},
        "synthesize_seconds": synthesize_seconds, "warmup_response_bytes": warmup,
        "results": results, "target_met": target_met,
    }, table)


if __name__ == "__main__":
    main()
