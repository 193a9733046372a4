"""Throughput of the real workload: a many-sample submission through the queue against
`manage.py evaluate` on the same file.

    .venv/bin/python bench/throughput.py [--problems 142] [--samples 100] [--workers 1,2]
        [--skip-evaluate] [--postgres] [--out bench/out]

A full run (142 problems x 100 samples) takes about 22 minutes with two workers on 2 cores
(`--workers 2 --skip-evaluate`), about 40 more for each of one worker and `evaluate`;
`--problems 10 --samples 20` takes a few minutes.

The file: the first --problems of ENAMEL's 142 problems, each with --samples samples taken in
turn from this cycle of eight, so that every problem mixes correct, slow and failing code:

  1. humaneval-canonical's solution        (correct, HumanEval's own, often not efficient)
  2. humanevalplus-canonical's solution    (correct)
  3. enamel-references' solution           (correct, ENAMEL's efficient reference)
  4-6. each of the three generation files' (../shared/generations/*.jsonl) samples for the
       problem, in file order, wrapping round: real model code, correct, wrong, failing or
       slow as the model wrote it (a problem a file lacks takes the next source instead)
  7. a slow copy of 1: its entry point first spins 20,000 loop iterations per call (correct,
     a constant cost on top, so its efficiency drops most on the small levels)
  8. a failing copy of 1: its entry point returns None (a wrong answer on level 0)

What it runs, after caching every problem's tests once (no run pays for generation):

- `manage.py evaluate FILE` in one process, one sandbox (unless --skip-evaluate: a full file
  through the queue alone);
- for each --workers count: that many `manage.py rqworker` processes, then
  `manage.py submit FILE --wait`, timed from submit to done.

Reported side by side: wall time, samples/s, queue over evaluate (target <= 1.05 with one
worker), speed-up over one worker (target >= 1.8 with two), each worker's peak RSS (VmHWM,
the worker process itself; the sandbox's zygote is a process of its own), the share of the
wall time spent inside calls (samples' and reference's, summed over workers / (wall x
workers)), and the job overhead: each chunk job's wall time by RQ (started to ended) minus
the engine's wall time for its samples (the mean over jobs, ms; target <= 20), and the
median gap between one job's end and the next's start on a worker. --chunk sets the
samples per job (EVALUATION_CHUNK_SAMPLES, default 20).
Writes bench/out/throughput.json.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import time
from itertools import cycle
from pathlib import Path

import redis
from common import (
    PROBLEMSET,
    PYTHON,
    ROOT,
    SAMPLE_SETS,
    SHARED,
    markdown_table,
    postgres_cluster,
    prepare_database,
    private_redis,
    scratch_env,
    start_workers,
    stop_process,
    warm_test_cache,
    write_report,
)

GENERATIONS = sorted((SHARED / "generations").glob("*.jsonl"))
SLOW = """

_effboard_slow_original = {name}


def {name}(*args, **kwargs):
    spin = 0
    for _ in range(20000):
        spin += 1
    return _effboard_slow_original(*args, **kwargs)
"""
FAILING = """

def {name}(*args, **kwargs):
    return None
"""


def entry_points() -> dict[int, str]:
    import csv

    with (SHARED / "enamel" / "enamel.csv").open(newline="") as handle:
        return {int(row["task_id"].split("/")[1]): row["entry_point"]
                for row in csv.DictReader(handle)}


def build_file(problems: list[int], samples: int, path: Path) -> dict[str, int]:
    """Writes the ENAMEL-JSON file described in the module docstring; counts per source."""
    sets = {name: json.loads(file.read_text()) for name, file in SAMPLE_SETS.items()}
    generated: list[dict[int, list[str]]] = []
    for file in GENERATIONS:
        by_problem: dict[int, list[str]] = {}
        for line in file.read_text().splitlines():
            record = json.loads(line)
            code = record.get("solution")
            if code:
                by_problem.setdefault(int(record["task_id"].split("/")[1]), []).append(code)
        generated.append(by_problem)
    names = entry_points()
    counts: dict[str, int] = {}
    document: dict[str, list[str]] = {}
    for index in problems:
        canonical = sets["humaneval-canonical"][index][0]
        name = names[index]
        # Each source: a fixed program, or a cycle over a generation file's samples.
        sources: list[tuple[str, str | cycle | None]] = [
            ("humaneval-canonical", canonical),
            ("humanevalplus-canonical", sets["humanevalplus-canonical"][index][0]),
            ("enamel-references", sets["enamel-references"][index][0]),
            *[(f"generation:{file.stem}", cycle(g[index]) if g.get(index) else None)
              for file, g in zip(GENERATIONS, generated, strict=True)],
            ("slow", canonical + SLOW.format(name=name)),
            ("failing", canonical + FAILING.format(name=name)),
        ]
        codes: list[str] = []
        for source, given in cycle(sources):
            if len(codes) == samples:
                break
            if given is None:  # no generation for this problem: the next source
                continue
            codes.append(given if isinstance(given, str) else next(given))
            counts[source] = counts.get(source, 0) + 1
        document[str(index)] = codes
    path.write_text(json.dumps(document))
    return counts


def wait_registered(url: str, count: int, timeout: float = 120) -> None:
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while client.scard("rq:workers") < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {client.scard('rq:workers')} of {count} workers registered")
        time.sleep(0.1)


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_evaluate(sample_file: Path, env: dict[str, str], out: Path) -> dict:
    output = out / "evaluate.json"
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "evaluate", str(sample_file), "--name", "throughput",
         "--output", str(output)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("manage.py evaluate failed")
    problems = json.loads(output.read_text())["problems"]
    return {
        "wall_seconds": wall,
        "call_seconds": sum(p["call_seconds"] for p in problems.values()),
        "engine_seconds": sum(p["wall_seconds"] for p in problems.values()),
        "peak_rss": [usage.ru_maxrss * 1024],
        "pass@1": statistics.mean(p.get("pass@1", 0) for p in problems.values()),
        "eff@1": statistics.mean(p.get("eff@1", 0) for p in problems.values()),
    }


# Per problem: engine wall and call seconds, chunk count, pass@1, eff@1 and its id.
RESULTS = """
import json
from leaderboard.models import ProblemResult
print(json.dumps([[r.wall_seconds, r.call_seconds, r.chunks, r.pass_at_k["1"], r.eff_at_k["1"],
                   r.problem_id] for r in ProblemResult.objects.filter(submission_id=%d)]))
"""


def run_queue(sample_file: Path, count: int, url: str, env: dict[str, str],
              logs: Path) -> dict:
    workers = start_workers(count, env, logs)
    try:
        wait_registered(url, count)
        client = redis.Redis.from_url(url)
        jobs: dict[bytes, tuple[float, float, bytes]] = {}
        started = time.monotonic()
        submit = subprocess.Popen(
            [PYTHON, "manage.py", "submit", str(sample_file), "--model", f"throughput-{count}",
             "--wait"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        # Finished jobs expire from Redis after 500 s: read them as they finish.
        while True:
            try:
                submit.wait(2)
                break
            except subprocess.TimeoutExpired:
                _collect_jobs(client, jobs)
        wall = time.monotonic() - started
        if submit.returncode != 0:
            raise SystemExit("manage.py submit failed")
        _collect_jobs(client, jobs)
        rss = [peak_rss(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            stop_process(worker)
    client.delete("rq:workers")
    submission = int(submit.stdout.read().split("\n", 1)[0])
    # Only this submission's jobs: an earlier run's stay in Redis for 500 s.
    prefix = f"rq:job:submission-{submission}-".encode()
    jobs = {key: job for key, job in jobs.items() if key.startswith(prefix)}
    job_walls = {key: ended - begun for key, (begun, ended, _) in jobs.items()}
    # Between one job's end and the next's start on the same worker (dequeue, bookkeeping).
    gaps = []
    for name in {worker for _, _, worker in jobs.values()}:
        mine = sorted((b, e) for b, e, w in jobs.values() if w == name)
        gaps += [later[0] - earlier[1] for earlier, later in zip(mine, mine[1:], strict=False)]
    rows = json.loads(subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", RESULTS % submission], cwd=ROOT, env=env,
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ).stdout.strip().splitlines()[-1])
    chunks = sum(r[2] for r in rows)
    engine = sum(r[0] for r in rows)
    if len(job_walls) != chunks:
        raise SystemExit(f"{len(job_walls)} finished jobs in Redis, {chunks} chunks")
    # Per job: its wall by RQ less the engine's. The engine's wall is kept per problem (its
    # chunks summed), so each problem gives its chunks' mean overhead. A worker's first job
    # also starts its sandbox: the mean carries that, the median not.
    per_problem = []
    for wall_seconds, _, count, _, _, problem_id in rows:
        problem_prefix = prefix + f"run-1-problem-{problem_id}-".encode()
        mine = [w for key, w in job_walls.items() if key.startswith(problem_prefix)]
        per_problem.append(1000 * (sum(mine) - wall_seconds) / count)
    per_problem.sort()
    return {
        "wall_seconds": wall,
        "call_seconds": sum(r[1] for r in rows),
        "engine_seconds": engine,
        "jobs": chunks,
        "job_overhead_mean_ms": 1000 * (sum(job_walls.values()) - engine) / chunks,
        "job_overhead_median_ms": statistics.median(per_problem),
        "job_overhead_p95_ms": per_problem[min(len(per_problem) - 1,
                                               round(0.95 * (len(per_problem) - 1)))],
        "between_jobs_median_ms": 1000 * statistics.median(gaps) if gaps else 0.0,
        "peak_rss": rss,
        "pass@1": statistics.mean(r[3] for r in rows),
        "eff@1": statistics.mean(r[4] for r in rows),
    }


CANCEL = """
from leaderboard.models import Submission
Submission.objects.filter(pk=%d).update(status="cancelled")
"""


def redis_memory(sample_file: Path, url: str, env: dict[str, str]) -> dict:
    """Redis memory one queued submission of this file takes: submitted with no worker
    running, INFO's used_memory before and after (then cancelled and flushed, so that no
    later worker takes it)."""
    client = redis.Redis.from_url(url)
    client.flushall()
    before = client.info("memory")["used_memory"]
    completed = subprocess.run(
        [PYTHON, "manage.py", "submit", str(sample_file), "--model", "throughput-redis"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )
    after = client.info("memory")["used_memory"]
    jobs = client.llen("rq:queue:default")
    subprocess.run([PYTHON, "manage.py", "shell", "-c",
                    CANCEL % int(completed.stdout.split("\n", 1)[0])],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    client.flushall()
    return {"bytes": after - before, "jobs": jobs, "bytes_per_job": (after - before) / jobs}


def _collect_jobs(client: redis.Redis, jobs: dict) -> None:
    for key in client.scan_iter("rq:job:submission-*", count=1000):
        if key in jobs:
            continue
        started_at, ended_at, worker = client.hmget(key, "started_at", "ended_at", "worker_name")
        if started_at and ended_at:
            jobs[key] = (_seconds(started_at), _seconds(ended_at), worker)


def _seconds(stamp: bytes) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.decode().replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=len(PROBLEMSET),
                        help="the first N of ENAMEL's 142 problems")
    parser.add_argument("--samples", type=int, default=100, help="samples per problem")
    parser.add_argument("--workers", default="1,2", help="worker counts; the first is the base")
    parser.add_argument("--chunk", type=int, default=20, help="samples per job (queue runs)")
    parser.add_argument("--skip-evaluate", action="store_true",
                        help="only the queue runs (no comparison with evaluate)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--redis-only", action="store_true",
                        help="only the Redis memory of one queued submission (no evaluation)")
    args = parser.parse_args()
    out = Path(args.out)
    workdir = (out / "throughput").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    problems = PROBLEMSET[: args.problems]
    counts = [int(n) for n in args.workers.split(",")]
    total = len(problems) * args.samples

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(private_redis(workdir))
        # A fresh database: a submission left active by an interrupted run would be requeued.
        (workdir / "bench.sqlite3").unlink(missing_ok=True)
        env = {**scratch_env(workdir), "REDIS_URL": url,
               "EVALUATION_CHUNK_SAMPLES": str(args.chunk)}
        if args.postgres:
            env["DATABASE_URL"] = stack.enter_context(postgres_cluster())
        prepare_database(env)
        sample_file = workdir / f"throughput-{len(problems)}x{args.samples}.json"
        sources = build_file(problems, args.samples, sample_file)
        print(f"{total} samples, {sample_file.stat().st_size / 2**20:.1f} MiB: {sources}",
              flush=True)
        if args.redis_only:
            print(json.dumps(redis_memory(sample_file, url, env)))
            return
        warm_seconds = warm_test_cache(env, problems)
        runs = {}
        if not args.skip_evaluate:
            runs["evaluate"] = run_evaluate(sample_file, env, workdir)
            print(f"evaluate: {runs['evaluate']['wall_seconds']:.1f} s", flush=True)
        for count in counts:
            runs[f"queue-{count}"] = run_queue(sample_file, count, url, env, workdir / "logs")
            print(f"queue, {count} worker(s): {runs[f'queue-{count}']['wall_seconds']:.1f} s",
                  flush=True)
        queued = redis_memory(sample_file, url, env)

    base = runs[f"queue-{counts[0]}"]["wall_seconds"]
    evaluate = runs["evaluate"]["wall_seconds"] if "evaluate" in runs else None
    rows = []
    for name, run in runs.items():
        workers = int(name.split("-")[1]) if name.startswith("queue-") else 1
        run["samples_per_second"] = total / run["wall_seconds"]
        run["over_evaluate"] = run["wall_seconds"] / evaluate if evaluate else None
        run["speedup_over_base"] = base / run["wall_seconds"] if workers else None
        run["inside_calls_share"] = run["call_seconds"] / (run["wall_seconds"] * workers)
        rows.append([
            name, run["wall_seconds"], run["samples_per_second"], run["over_evaluate"] or "",
            run["speedup_over_base"] if name != "evaluate" else "",
            " / ".join(f"{rss / 2**20:.0f}" for rss in run["peak_rss"]),
            run["inside_calls_share"],
            " / ".join(f"{run[k]:.1f}" for k in ("job_overhead_median_ms", "job_overhead_mean_ms",
                                                  "job_overhead_p95_ms") if k in run),
            run.get("between_jobs_median_ms", ""),
            run["pass@1"], run["eff@1"],
        ])
    table = markdown_table(
        ["run", "wall (s)", "samples/s", "over evaluate", f"speed-up over {counts[0]}",
         "peak RSS (MiB)", "inside calls", "job overhead median / mean / p95 (ms)",
         "between jobs (ms)",
         "pass@1", "eff@1"],
        rows,
    )
    write_report(out, "throughput", {
        "problems": len(problems), "samples_per_problem": args.samples, "sources": sources,
        "chunk_samples": args.chunk,
        "file_bytes": sample_file.stat().st_size, "test_cache_warmup_seconds": warm_seconds,
        "database": "postgresql" if args.postgres else "sqlite", "runs": runs,
        "redis_memory_per_queued_submission": queued,
    }, table)


if __name__ == "__main__":
    main()
