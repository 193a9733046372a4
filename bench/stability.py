"""Stability: how much eff@1 moves between repeated runs of Effboard and of enam's evaluator.

    .venv/bin/python bench/stability.py [--set humaneval-canonical] [--runs 5]
        [--problems half|all|0,3,7] [--out bench/out]

Runs `manage.py evaluate` and bench/enam_eval.py --runs times each on the same sample set,
alternating which goes first, after one warm-up run of each that fills both test caches and
is not counted (so no measured run pays for test generation). For each side: the sample
standard deviation of eff@1 over the runs, max - min, and the per-problem spread (the
standard deviation of each problem's eff@1 over the runs; median and max over the problems).
Writes bench/out/stability.json.

Default subset ("half"): every second problem of ENAMEL's 142 (71 problems). On the 2-core
reference machine one run of each side over all 142 takes about 4-5 minutes, so 5 + 1 runs
of both would take about 50 minutes; the half set takes about 25. --problems all for the lot.

Target: Effboard's standard deviation of eff@1 at most 0.5 x enam's.
"""

import argparse
import math
import statistics
from pathlib import Path

from agreement import run_effboard, run_enam
from common import (
    PROBLEMSET,
    SAMPLE_SETS,
    load,
    markdown_table,
    parse_problems,
    prepare_database,
    scratch_env,
    write_report,
)

SIDES = ("effboard", "enam")


def per_problem_effs(side: str, document: dict) -> dict[str, float]:
    """{task_id: eff@1} from either side's output file."""
    if side == "effboard":
        return {task_id: p["eff@1"] for task_id, p in document["problems"].items()}
    return {f"HumanEval/{index}": sum(effs) / len(effs)
            for index, effs in document["effs"].items()}


def spread(overall: list[float], problems: dict[str, list[float]]) -> dict[str, float]:
    per_problem_std = [statistics.stdev(v) for v in problems.values() if len(v) > 1]
    return {
        "mean_eff@1": statistics.mean(overall),
        "std_eff@1": statistics.stdev(overall),
        "range_eff@1": max(overall) - min(overall),
        "median_problem_std": statistics.median(per_problem_std),
        "max_problem_std": max(per_problem_std),
    }


def ratio(ours: float, theirs: float) -> float:
    # Both at zero: equally stable; only theirs at zero: ours cannot be half of it.
    if theirs == 0:
        return 1.0 if ours == 0 else math.inf
    return ours / theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="humaneval-canonical", choices=sorted(SAMPLE_SETS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--problems", default="half",
                        help="half (every second of the 142), all, or indices like 0,3,7")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs: a standard deviation needs at least 2 runs")
    problems = PROBLEMSET[::2] if args.problems == "half" else parse_problems(args.problems)
    indices = ",".join(map(str, problems))
    out = Path(args.out)
    work = out / "stability"
    env = scratch_env(work)
    prepare_database(env)
    sample_file = SAMPLE_SETS[args.set]

    def run(side: str, label: str) -> tuple[float, dict]:
        target = work / f"{label}-{side}.json"
        if side == "effboard":
            wall = run_effboard(sample_file, target, env, indices)
        else:
            wall = run_enam(sample_file, target, work / "enam-tests", indices)
        return wall, load(target)

    # Warm-up: fills both test caches; not counted.
    warmup = {side: run(side, "warm")[0] for side in SIDES}
    overall: dict[str, list[float]] = {side: [] for side in SIDES}
    problem_effs: dict[str, dict[str, list[float]]] = {side: {} for side in SIDES}
    walls: dict[str, list[float]] = {side: [] for side in SIDES}
    for number in range(args.runs):
        for side in SIDES if number % 2 == 0 else reversed(SIDES):
            wall, document = run(side, str(number))
            walls[side].append(wall)
            overall[side].append(document["metrics"]["eff@1"])
            for task_id, eff in per_problem_effs(side, document).items():
                problem_effs[side].setdefault(task_id, []).append(eff)
            print(f"run {number} {side}: eff@1 {overall[side][-1]:.4f} ({wall:.0f} s)",
                  flush=True)

    summary = {side: spread(overall[side], problem_effs[side]) for side in SIDES}
    ratios = {
        key: ratio(summary["effboard"][key], summary["enam"][key])
        for key in ("std_eff@1", "range_eff@1", "median_problem_std", "max_problem_std")
    }
    rows = [[side, summary[side]["mean_eff@1"], summary[side]["std_eff@1"],
             summary[side]["range_eff@1"], summary[side]["median_problem_std"],
             summary[side]["max_problem_std"], statistics.median(walls[side])]
            for side in SIDES]
    rows.append(["ratio Effboard / enam", "", ratios["std_eff@1"], ratios["range_eff@1"],
                 ratios["median_problem_std"], ratios["max_problem_std"],
                 statistics.median(walls["effboard"]) / statistics.median(walls["enam"])])
    table = markdown_table(
        ["side", "mean eff@1", "std eff@1", "max − min", "median per-problem std",
         "max per-problem std", "median wall (s)"],
        rows,
    )
    write_report(out, "stability", {
        "set": args.set, "problems": problems, "runs": args.runs,
        "warmup_wall_seconds": warmup, "eff@1": overall, "wall_seconds": walls,
        "per_problem_eff@1": problem_effs, "summary": summary, "ratios": ratios,
        "target_met": ratios["std_eff@1"] <= 0.5,
    }, table)


if __name__ == "__main__":
    main()
