"""The forged-clock bound: what a sample gains by reporting its calls as instantaneous.

    .venv/bin/python bench/forged_clock.py [--problems 13,155,28,35,21] [--rounds 5]
        [--out bench/out]

A sample's own clock refines its charge only within an allowance (README, "A forged clock,
within its bound"). This measures what that allowance is worth to a forger. For each problem,
three samples in one ENAMEL file:

- `reference`: ENAMEL's reference solution, as it is (the scale: eff about 1);
- `twice`: the reference's work done twice a call (an honest, slower sample);
- `twice, forged`: the same, with the harness in its process made to report every call as
  1 ns (the engine tests' FORGED_CLOCK).

Runs `manage.py evaluate` --rounds times on that file (tests cached by a first, uncounted
run) and reports per problem the median eff over the rounds of each sample, and the forger's
gain: its median less the honest sample's. The default problems span reference calls from a few
microseconds (HumanEval/13, /155), far below the allowance's 0.2 ms floor, through a fraction of
a millisecond (/28, /35) to a few (/21); each reference there is a pure function of its
arguments, so calling it twice gives the same answer. Writes bench/out/forged_clock.json.
"""

import argparse
import csv
import json
import statistics
from pathlib import Path

from agreement import run_effboard
from common import (
    ENAMEL_CSV,
    load,
    markdown_table,
    parse_problems,
    prepare_database,
    scratch_env,
    write_report,
)

SAMPLES = ("reference", "twice", "twice, forged")
# As tests/test_engine.py's FORGED_CLOCK: the harness (the zygote's module, __main__ in the
# child) sends every result with a call time of 1 ns.
FORGED_CLOCK = (
    "import sys\n"
    "harness = sys.modules['__main__']\n"
    "send = harness.send_result\n"
    "harness.send_result = lambda status, seconds, *rest: send(status, 1e-9, *rest)\n"
)


def twice(code: str, entry_point: str) -> str:
    """`code` with its entry point doing the work twice a call, returning the second answer."""
    return code + (
        f"\n_once = {entry_point}\n\n\n"
        f"def {entry_point}(*args):\n"
        "    _once(*args)\n"
        "    return _once(*args)\n"
    )


def sample_file(problems: list[int], scratch: Path) -> Path:
    """An ENAMEL dict file: per problem, the three SAMPLES in order."""
    with open(ENAMEL_CSV, newline="") as handle:
        rows = {int(row["task_id"].split("/")[1]): row for row in csv.DictReader(handle)}
    document = {}
    for index in problems:
        row = rows[index]
        reference, entry_point = row["reference_solution"], row["entry_point"]
        doubled = twice(reference, entry_point)
        document[str(index)] = [reference, doubled, doubled + FORGED_CLOCK]
    path = scratch / "forged_clock.json"
    path.write_text(json.dumps(document))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="13,155,28,35,21")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    options = parser.parse_args()
    problems = parse_problems(options.problems)
    scratch = (options.out / "forged_clock").resolve()
    env = scratch_env(scratch)
    prepare_database(env)
    samples = sample_file(problems, scratch)
    selection = ",".join(map(str, problems))
    run_effboard(samples, scratch / "warm-up.json", env, selection)  # fills the test cache
    effs: dict[str, dict[str, list[float]]] = {
        f"HumanEval/{index}": {name: [] for name in SAMPLES} for index in problems}
    for number in range(options.rounds):
        out = scratch / f"round-{number}.json"
        run_effboard(samples, out, env, selection)
        for task_id, problem in load(out)["problems"].items():
            for name, sample in zip(SAMPLES, problem["samples"], strict=True):
                effs[task_id][name].append(sample["efficiency"])
    rows, report = [], {"rounds": options.rounds, "problems": {}}
    for task_id, by_sample in effs.items():
        medians = {name: statistics.median(values) for name, values in by_sample.items()}
        gain = medians["twice, forged"] - medians["twice"]
        report["problems"][task_id] = {"effs": by_sample, "medians": medians, "gain": gain}
        rows.append([task_id, *(f"{medians[name]:.2f}" for name in SAMPLES), f"{gain:+.2f}"])
    table = markdown_table(
        ["problem", *(f"eff, {name}" for name in SAMPLES), "forger's gain"], rows)
    write_report(options.out, "forged_clock", report, table)


if __name__ == "__main__":
    main()
