"""What the CPU-time floor costs honest samples: eff@1 with and without it, from the same runs.

    .venv/bin/python bench/cpu_floor.py [--sets humaneval-canonical,generations:MODEL,...]
        [--out bench/out]

A sample's estimate on a test is at least the least CPU time (by the kernel's count) of its
repetitions less the reference's typical CPU time outside its calls (README, "Timing";
engine.ProblemRunner._cpu_floor). Honest samples should almost never meet it. This evaluates
each set (a shared set, or the model generations `generations:MODEL`, as bench/agreement.py
reads them) once with `manage.py evaluate` in this process, recording for every sample and
test the charges and CPU times the floor was computed from, then scores every sample that
passed again as if there were no floor, with the engine's own metrics. It reports per set the
change in eff@1 and the samples that changed most, and checks that scoring the recorded
figures with the floor gives exactly the efficiencies the evaluation reported.
Writes bench/out/cpu_floor.json.
"""

import argparse
import os
import sys
from pathlib import Path

from agreement import sample_set
from common import (
    CHECKOUT,
    SAMPLE_SETS,
    load,
    markdown_table,
    prepare_database,
    scratch_env,
    write_report,
)

Figures = dict[tuple[str, int], dict[int, dict[int, dict]]]  # (task, sample) -> level -> test


def record_floors(figures: Figures) -> None:
    """Patches the engine so that every floor it computes is kept in `figures`."""
    from evaluation import engine
    from evaluation.metrics import hodges_lehmann

    floor, run_sample = engine.ProblemRunner._cpu_floor, engine.ProblemRunner.run_sample

    def counted_run_sample(self, code):
        self.bench_sample = getattr(self, "bench_sample", -1) + 1
        return run_sample(self, code)

    def recorded_floor(self, level, test, cpus):
        value = floor(self, level, test, cpus)
        reps = sys._getframe(1).f_locals["reps"]  # the caller's charges on this test
        key = (self.spec.task_id, self.bench_sample)
        figures.setdefault(key, {}).setdefault(level, {})[test] = {
            "charged": hodges_lehmann(reps), "floor": value, "hardness": self.spec.hardness}
        return value

    engine.ProblemRunner.run_sample = counted_run_sample
    engine.ProblemRunner._cpu_floor = recorded_floor


def efficiency(levels: dict[int, dict[int, dict]], sample: dict, problem: dict,
               floored: bool) -> float:
    from evaluation.metrics import level_efficiency, sample_efficiency

    hardness = next(iter(next(iter(levels.values())).values()))["hardness"]
    effs = list(sample["levels"])  # levels the floor never saw (weight 0) stay as reported
    for level, tests in levels.items():
        slowest = max(max(t["charged"], t["floor"]) if floored else t["charged"]
                      for t in tests.values())
        effs[level] = level_efficiency(slowest, problem["reference_times"][level],
                                       problem["timeout"])
    return sample_efficiency(effs, hardness)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SAMPLE_SETS))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    options = parser.parse_args()
    scratch = (options.out / "cpu_floor").resolve()
    env = scratch_env(scratch)
    prepare_database(env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.project.settings")
    sys.path.insert(0, str(CHECKOUT))
    os.chdir(CHECKOUT)
    import django

    django.setup()
    from django.core.management import call_command

    rows, report = [], {}
    figures: Figures = {}
    record_floors(figures)  # once: a second patch would wrap the first
    for name in options.sets.split(","):
        figures.clear()
        out = scratch / f"{name.replace(':', '-')}.json"
        sample_file, problems = sample_set(name, scratch, None)
        call_command("evaluate", str(sample_file), "--name", sample_file.stem, "--output",
                     str(out), *(["--problems", problems] if problems else []))
        problems = load(out)["problems"]
        changes, mismatch = [], 0.0
        for (task_id, number), levels in figures.items():
            sample = problems[task_id]["samples"][number]
            if sample["status"] != "passed":
                continue  # stopped early: scored from fewer levels than recorded
            with_floor = efficiency(levels, sample, problems[task_id], floored=True)
            mismatch = max(mismatch, abs(with_floor - sample["efficiency"]))
            without = efficiency(levels, sample, problems[task_id], floored=False)
            changes.append((with_floor - without, f"{task_id}#{number}"))
        changes.sort()
        samples = sum(len(problem["samples"]) for problem in problems.values())
        mean_change = sum(change for change, _ in changes) / samples
        report[name] = {"eff@1_change": mean_change, "largest": changes[:8],
                        "check_max_difference": mismatch}
        rows.append([name, f"{mean_change:+.4f}",
                     ", ".join(f"{where} {change:+.3f}" for change, where in changes[:3]),
                     f"{mismatch:.1e}"])
    table = markdown_table(["set", "eff@1 change", "largest sample changes",
                            "check (recomputed − reported)"], rows)
    write_report(options.out, "cpu_floor", report, table)


if __name__ == "__main__":
    main()
