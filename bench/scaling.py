"""Scaling: one submission evaluated by 1, then 2 RQ workers (more with --workers).

    .venv/bin/python bench/scaling.py [--set humaneval-canonical] [--problems all]
        [--workers 1,2] [--rounds 2] [--postgres] [--out bench/out]

Starts a private redis-server on a free loopback port and a scratch SQLite database (or,
with --postgres, a throwaway PostgreSQL cluster: SQLite serialises the workers' writes),
caches the tests of the chosen problems once, then for each round and worker count starts
that many `manage.py rqworker default` processes, waits until they are registered, and times
`manage.py submit FILE --model NAME --wait` from submit to done. Rounds alternate the order
of the worker counts (1,2 then 2,1) so that drift in the machine's load hits both sides.
Reports the median wall time per count, the speed-up over 1 worker, and the eff@1 and
pass@1 difference from the 1-worker runs. `submit --wait` polls every 0.5 s: negligible
against a full submission's minutes, not against a 3-problem validation run's seconds.
Writes bench/out/scaling.json.

Target: 2 workers at least 1.8x as fast as 1, eff@1 within 0.01.
"""

import argparse
import contextlib
import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from statistics import mean

import redis
from common import (
    PYTHON,
    ROOT,
    markdown_table,
    median,
    parse_problems,
    postgres_cluster,
    prepare_database,
    private_redis,
    scratch_env,
    start_workers,
    stop_process,
    subset_file,
    warm_test_cache,
    write_report,
)


def wait_registered(url: str, count: int, timeout: float = 120) -> None:
    """Waits until `count` RQ workers are registered: a worker's Django start-up (a second or
    more) must not count as evaluation time."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while client.scard("rq:workers") < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {client.scard('rq:workers')} of {count} workers registered")
        time.sleep(0.1)


def submit(sample_file: Path, model: str, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds from submit to done, and the submission's id."""
    started = time.monotonic()
    completed = subprocess.run(
        [PYTHON, "manage.py", "submit", str(sample_file), "--model", model, "--wait"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )
    wall = time.monotonic() - started
    # stdout: the submission's id on the first line, then the metrics as JSON.
    return wall, int(completed.stdout.split("\n", 1)[0])


# The submission's metrics average over all 142 active problems (uncovered ones count as
# failed), which dilutes a subset's figures: read the per-problem results instead.
RESULTS = """
import json
from leaderboard.models import ProblemResult
print(json.dumps({r.problem.task_id: [r.pass_at_k["1"], r.eff_at_k["1"], r.worker]
                  for r in ProblemResult.objects.filter(submission_id=%d)
                  .select_related("problem")}))
"""


def results(submission: int, env: dict[str, str]) -> dict[str, list]:
    """{task_id: [pass@1, eff@1, worker]} of the submission's problems."""
    completed = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", RESULTS % submission], cwd=ROOT, env=env,
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="humaneval-canonical")
    parser.add_argument("--problems", help="indices like 0,3,7 (default: all 142)")
    parser.add_argument("--workers", default="1,2", help="worker counts; the first is the base")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    out = Path(args.out)
    workdir = (out / "scaling").resolve()
    counts = [int(n) for n in args.workers.split(",")]
    problems = parse_problems(args.problems)

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(private_redis(workdir))
        env = {**scratch_env(workdir), "REDIS_URL": url}
        if args.postgres:
            env["DATABASE_URL"] = stack.enter_context(postgres_cluster())
        prepare_database(env)
        sample_file = subset_file(args.set, problems, workdir)
        warm_seconds = warm_test_cache(env, problems)
        runs: list[dict] = []
        for round_number in range(args.rounds):
            order = counts if round_number % 2 == 0 else list(reversed(counts))
            for count in order:
                workers = start_workers(count, env, workdir / "logs")
                try:
                    wait_registered(url, count)
                    wall, pk = submit(sample_file, f"scaling-{round_number}-{count}", env)
                finally:
                    for worker in workers:
                        stop_process(worker)
                # Stopped workers leave their keys behind for a while: clear them so that the
                # next wait_registered counts only new workers.
                redis.Redis.from_url(url).delete("rq:workers")
                per_problem = results(pk, env)
                if len(per_problem) != len(problems):
                    raise SystemExit(f"submission {pk}: {len(per_problem)} results, "
                                     f"expected {len(problems)}")
                shares = Counter(worker for _, _, worker in per_problem.values())
                runs.append({
                    "round": round_number, "workers": count, "wall_seconds": wall,
                    # Means over the chosen problems only.
                    "pass@1": mean(p for p, _, _ in per_problem.values()),
                    "eff@1": mean(e for _, e, _ in per_problem.values()),
                    "problems_per_worker": sorted(shares.values(), reverse=True),
                    "per_problem_eff@1": {t: e for t, (_, e, _) in per_problem.items()},
                })
                print(f"round {round_number}, {count} worker(s): {wall:.1f} s, "
                      f"eff@1 {runs[-1]['eff@1']:.4f}, problems per worker "
                      f"{runs[-1]['problems_per_worker']}", flush=True)

    base = counts[0]
    base_wall = median([r["wall_seconds"] for r in runs if r["workers"] == base])
    base_eff = median([r["eff@1"] for r in runs if r["workers"] == base])
    base_pass = median([r["pass@1"] for r in runs if r["workers"] == base])
    summary = []
    for count in counts:
        mine = [r for r in runs if r["workers"] == count]
        wall = median([r["wall_seconds"] for r in mine])
        summary.append({
            "workers": count,
            "median_wall_seconds": wall,
            "speedup": base_wall / wall,
            "median_eff@1": median([r["eff@1"] for r in mine]),
            # The largest gap of any single run, not of the medians: the target is per run.
            "max_eff@1_diff": max(abs(r["eff@1"] - base_eff) for r in mine),
            "max_pass@1_diff": max(abs(r["pass@1"] - base_pass) for r in mine),
        })
    table = markdown_table(
        ["workers", "median wall (s)", "speed-up", "median eff@1", "max abs Δ eff@1",
         "max abs Δ pass@1"],
        [[s["workers"], s["median_wall_seconds"], s["speedup"], s["median_eff@1"],
          s["max_eff@1_diff"], s["max_pass@1_diff"]] for s in summary],
    )
    write_report(out, "scaling", {
        "set": args.set, "problems": len(problems), "rounds": args.rounds,
        "database": "postgresql" if args.postgres else "sqlite",
        "test_cache_warmup_seconds": warm_seconds, "runs": runs, "summary": summary,
    }, table)


if __name__ == "__main__":
    main()
