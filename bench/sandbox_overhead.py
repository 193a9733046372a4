"""Per-call overhead of the timing sandbox: what a trivial call costs in `Sandbox.run_calls`.

    .venv/bin/python bench/sandbox_overhead.py [--runs 500] [--calls 1,4]
        [--configs bubblewrap:2,bubblewrap:1,rlimits:1] [--gaps-us 0,1000]

For each isolation, number of zygotes and number of calls per run (one fresh child each run,
its calls in turn: 4 is a timed level's repetition), after a warm-up, times N runs of a call
that does nothing, then N runs whose pickled args are a 100 KB blob. Prints, per call, the
median, p10 and p90 of the worker's view (the whole `Sandbox.run_calls` divided by its calls)
and the median of the zygote's `wall_seconds` (input handed to the child until its whole
result arrived), in microseconds, and the load average around it; then what the zygote
processes themselves spent per call, all zygotes together: minor page faults (after each
fork, every page one writes first is copied) and CPU time (user + system, from /proc, 10 ms
ticks).
A gap keeps the worker busy for that long between runs, as the engine's checker and
bookkeeping do; with gap 0, runs follow each other as fast as the worker can ask.
"""

import argparse
import itertools
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.sandbox import Sandbox  # noqa: E402
from tests.services import descendants  # noqa: E402

TRIVIAL_PROGRAM = "def f(x):\n    return x\n"
BLOB_PROGRAM = "def f(blob):\n    return len(blob)\n"
CASES = {
    "trivial": (TRIVIAL_PROGRAM, pickle.dumps((1,), protocol=5)),
    "100KB args": (BLOB_PROGRAM, pickle.dumps((os.urandom(100 * 1024),), protocol=5)),
}
WARMUP_RUNS = 20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def busy_wait(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def measure(box: Sandbox, program: str, args: bytes, runs: int, calls: int,
            gap: float) -> tuple[list[float], list[float]]:
    """Worker-side seconds per call and the zygote's wall_seconds, for `runs` runs."""
    for _ in range(WARMUP_RUNS):
        box.run_calls(program, "f", [(args, 5.0)] * calls)
    totals, walls = [], []
    for _ in range(runs):
        busy_wait(gap)
        started = time.perf_counter()
        results = box.run_calls(program, "f", [(args, 5.0)] * calls)
        totals.append((time.perf_counter() - started) / calls)
        if len(results) != calls or any(result.status != "ok" for result in results):
            sys.exit(f"run failed: {results}")
        walls += [result.wall_seconds for result in results]
    return totals, walls


def zygote_pids(box: Sandbox) -> list[int]:
    """The zygotes' host PIDs: the oldest python process at or under each zygote's process."""
    return [
        min(pid for pid in [process.pid, *descendants(process.pid)]
            if Path(f"/proc/{pid}/comm").read_text().startswith("python"))
        for process in box.processes
    ]


def faults_and_cpu(pids: list[int]) -> tuple[int, float]:
    """Minor faults and CPU seconds, summed over `pids`."""
    faults, ticks = 0, 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        faults += int(fields[7])
        ticks += int(fields[11]) + int(fields[12])
    return faults, ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--configs", default="bubblewrap:2,bubblewrap:1,rlimits:1",
                        help="isolation:zygotes pairs")
    parser.add_argument("--gaps-us", default="0,1000")
    parser.add_argument("--calls", default="1,4", help="calls per run, comma-separated")
    options = parser.parse_args()
    gaps = [int(gap) for gap in options.gaps_us.split(",")]
    call_counts = [int(calls) for calls in options.calls.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'isolation':<11} {'zygotes':>7} {'calls':>5} {'case':<11} {'gap':>5} {'median':>8} "
          f"{'p10':>8} {'p90':>8} {'wall med':>9} {'zygote faults':>14} {'zygote CPU':>11}   "
          "(per call, µs; wall = zygote-measured)")
    for config in options.configs.split(","):
        isolation, zygotes = config.split(":")
        with Sandbox(isolation=isolation, zygotes=int(zygotes)) as box:
            pids = zygote_pids(box)
            for calls, (case, (program, args)), gap in itertools.product(
                call_counts, CASES.items(), gaps
            ):
                faults_before, cpu_before = faults_and_cpu(pids)
                totals, walls = measure(box, program, args, options.runs, calls, gap / 1e6)
                faults_after, cpu_after = faults_and_cpu(pids)
                runs = (options.runs + WARMUP_RUNS) * calls  # per call, as the times
                micro = [seconds * 1e6 for seconds in totals]
                print(f"{isolation:<11} {zygotes:>7} {calls:>5} {case:<11} {gap:5} "
                      f"{statistics.median(micro):8.0f} {percentile(micro, 0.1):8.0f} "
                      f"{percentile(micro, 0.9):8.0f} "
                      f"{statistics.median(walls) * 1e6:9.0f} "
                      f"{(faults_after - faults_before) / runs:14.0f} "
                      f"{(cpu_after - cpu_before) / runs * 1e6:11.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
