"""Per-run overhead of the timing sandbox: what one `Sandbox.run` of a trivial call costs.

    .venv/bin/python bench/sandbox_overhead.py [--runs 500] [--isolations bubblewrap,rlimits]

For each isolation, after a warm-up, times N runs of a call that does nothing, then N runs
whose pickled args are a 100 KB blob. Prints median, p10 and p90 of the worker's view (the
whole `Sandbox.run` call) and the median of the zygote's `wall_seconds` (input handed to the
child until its whole result arrived), in microseconds, and the load average around it.
"""

import argparse
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.sandbox import Sandbox  # noqa: E402

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


def measure(box: Sandbox, program: str, args: bytes, runs: int) -> tuple[list[float], list[float]]:
    """Worker-side seconds per run and the zygote's wall_seconds, for `runs` runs."""
    for _ in range(WARMUP_RUNS):
        box.run(program, "f", args, 5.0)
    totals, walls = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = box.run(program, "f", args, 5.0)
        totals.append(time.perf_counter() - started)
        if result.status != "ok":
            sys.exit(f"run failed: {result}")
        walls.append(result.wall_seconds)
    return totals, walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--isolations", default="bubblewrap,rlimits")
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'isolation':<11} {'case':<11} {'median':>8} {'p10':>8} {'p90':>8} {'wall med':>9}"
          "   (µs per Sandbox.run; wall = zygote-measured)")
    for isolation in options.isolations.split(","):
        with Sandbox(isolation=isolation) as box:
            for case, (program, args) in CASES.items():
                totals, walls = measure(box, program, args, options.runs)
                micro = [seconds * 1e6 for seconds in totals]
                print(f"{isolation:<11} {case:<11} {statistics.median(micro):8.0f} "
                      f"{percentile(micro, 0.1):8.0f} {percentile(micro, 0.9):8.0f} "
                      f"{statistics.median(walls) * 1e6:9.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
