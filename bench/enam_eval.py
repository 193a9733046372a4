"""Runs ENAMEL's own evaluator (the `enam` package) on a sample file, for comparison.

    python bench/enam_eval.py SAMPLES.json --csv ../shared/enamel/enamel.csv \
        [--problems 0,3,7] [--tests-cache DIR] --output OUT.json

Writes {"metrics", "passes": {index: [bool]}, "effs": {index: [float]}, "seconds"}; with
--tests-cache, enam's generated tests are pickled there and reused (timed separately).
Runs code in-process, as enam does: only for trusted sample sets.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

import numpy as np
from enam import PROBLEMSET, Evaluator


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Some generators iterate over sets of strings: Effboard fixes the hash seed, so must we.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser()
    parser.add_argument("samples")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--problems", help="comma-separated indices (default: ENAMEL's 142)")
    parser.add_argument("--tests-cache", help="directory for enam's pickled tests")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    subset = [int(i) for i in args.problems.split(",")] if args.problems else PROBLEMSET
    with open(args.samples) as handle:
        codes = json.load(handle)
    if isinstance(codes, dict):
        codes = [codes.get(str(i), []) for i in range(164)]
    evaluator = Evaluator(
        problems=args.csv, subset=subset, n_tests=[8, 4, 4, 4], n_reps=6,
        hardness=[0, 3, 3, 4], memory_giga=4, timeout_factor=2, tolerence_sec=0.01,
        seed=998244353,
    )
    generation_seconds = 0.0
    cache = None
    if args.tests_cache:
        os.makedirs(args.tests_cache, exist_ok=True)
        # Named by the whole subset: two subsets must never share a file.
        key = hashlib.sha256(",".join(map(str, subset)).encode()).hexdigest()[:16]
        cache = os.path.join(args.tests_cache, f"enam-{len(subset)}-{key}")
    if cache is None or not evaluator.load_tests(cache + "~tests.pkl"):
        started = time.monotonic()
        evaluator.make_tests(save_name=cache)
        generation_seconds = time.monotonic() - started
    with tempfile.TemporaryDirectory() as scratch:
        save = os.path.join(scratch, "run")
        started = time.monotonic()
        metrics = evaluator.evaluate(codes, k=[1], save_name=save)
        seconds = time.monotonic() - started
        with open(save + "~passes.json") as handle:
            passes = json.load(handle)
        with open(save + "~effs.json") as handle:
            effs = json.load(handle)
    hardness = np.array([0, 3, 3, 4])
    result = {
        "metrics": metrics,
        "passes": passes,
        "effs": {i: [float(np.average(e, weights=hardness)) for e in levels]
                 for i, levels in effs.items()},
        "seconds": seconds,
        "generation_seconds": generation_seconds,
    }
    with open(args.output, "w") as handle:
        json.dump(result, handle)
    print(json.dumps(metrics), file=sys.stderr)


if __name__ == "__main__":
    main()
