"""Agreement and throughput: Effboard's `manage.py evaluate` against enam's evaluator.

    .venv/bin/python bench/agreement.py [--sets humaneval-canonical,enamel-references]
        [--rounds 1] [--problems 0,3,7] [--out bench/out]

A set is a shared ENAMEL sample set (humaneval-canonical, humanevalplus-canonical,
enamel-references) or `generations:MODEL`, the model generations in
$SHARED_DIR/generations/MODEL.jsonl (e.g. generations:gpt-4o-mini-2024-07-18): converted to
ENAMEL's JSON dict format in the scratch folder (bench/out/agreement/MODEL.json), and both
evaluators run on the problems of ENAMEL's 142 that the file covers (and --problems names).

For each sample set and round, runs both evaluators one after the other on this machine
(alternating which goes first), tests cached for both (their generation is timed apart,
in a first warm-up round). Prints and writes JSON (bench/out/agreement.json) with pass@1 and
eff@1 of each, per-problem pass disagreements, per-sample verdict disagreements (enam's
verdict, Effboard's status and error; the warm-up's too), the largest per-problem eff@1 gaps, the
wall-time ratio, and the share of Effboard's wall time spent inside the code under test;
then a Markdown table of the same figures. It also compares per problem, over the warm-up
and the rounds: the mean absolute eff@1 difference against enam next to enam's against
itself. EFFBOARD_CHECKOUT=DIR runs another checkout's Effboard (a git worktree of an earlier
commit) under the same harness, venv and enam.
"""

import argparse
import json
import os
from pathlib import Path

from common import (
    ENAMEL_CSV,
    PROBLEMSET,
    PYTHON,
    ROOT,
    SAMPLE_SETS,
    SHARED,
    load,
    markdown_table,
    parse_problems,
    prepare_database,
    scratch_env,
    timed,
    write_report,
)


def sample_set(name: str, scratch: Path, problems: str | None) -> tuple[Path, str | None]:
    """The sample file of a set and the problems to run (--problems passed as it is for a
    shared set); a generation file becomes an ENAMEL dict of the problems it covers."""
    if not name.startswith("generations:"):
        return SAMPLE_SETS[name], problems
    model = name.removeprefix("generations:")
    codes: dict[str, list[str]] = {}
    for line in (SHARED / "generations" / f"{model}.jsonl").read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            codes.setdefault(entry["task_id"].removeprefix("HumanEval/"), []).append(
                entry["solution"])
    chosen = [i for i in parse_problems(problems) if i in PROBLEMSET and str(i) in codes]
    sample_file = scratch / f"{model}.json"
    sample_file.write_text(json.dumps({str(i): codes[str(i)] for i in chosen}))
    return sample_file, ",".join(map(str, chosen))


def effboard_command(sample_file: Path, out: Path, problems: str | None) -> list[str]:
    command = [PYTHON, "manage.py", "evaluate", str(sample_file), "--name", sample_file.stem,
               "--output", str(out)]
    return command + ["--problems", problems] if problems else command


def enam_command(sample_file: Path, out: Path, cache: Path, problems: str | None) -> list[str]:
    command = [PYTHON, str(ROOT / "bench" / "enam_eval.py"), str(sample_file),
               "--csv", str(ENAMEL_CSV), "--tests-cache", str(cache), "--output", str(out)]
    return command + ["--problems", problems] if problems else command


def run_effboard(sample_file: Path, out: Path, env: dict, problems: str | None) -> float:
    return timed(effboard_command(sample_file, out, problems), env)[0]


def run_enam(sample_file: Path, out: Path, cache: Path, problems: str | None) -> float:
    return timed(enam_command(sample_file, out, cache, problems), dict(os.environ))[0]


def sample_disagreements(ours: dict, theirs: dict) -> list[dict]:
    """The samples whose verdict (correct or not) differs between the two evaluators."""
    found = []
    for index, passes in theirs["passes"].items():
        task_id = f"HumanEval/{index}"
        samples = ours["problems"].get(task_id, {}).get("samples", [])
        for number, passed in enumerate(passes):
            sample = samples[number] if number < len(samples) else {}
            if sample.get("correct", False) != passed:
                found.append({"task_id": task_id, "sample": number, "enam": passed,
                              "effboard": sample.get("status", "missing"),
                              "error": sample.get("error", ""),
                              "failed_level": sample.get("failed_level")})
    return found


def compare(ours: dict, theirs: dict) -> dict:
    pass_disagreements, eff_gaps = [], []
    for index, passes in theirs["passes"].items():
        task_id = f"HumanEval/{index}"
        problem = ours["problems"].get(task_id)
        our_pass = problem["pass@1"] if problem else 0.0
        their_pass = sum(passes) / len(passes)
        if abs(our_pass - their_pass) > 1e-9:
            pass_disagreements.append(task_id)
        their_eff = sum(theirs["effs"][index]) / len(passes)
        our_eff = problem["eff@1"] if problem else 0.0
        eff_gaps.append((abs(our_eff - their_eff), task_id, our_eff, their_eff))
    eff_gaps.sort(reverse=True)
    return {
        "pass_disagreements": pass_disagreements,
        "sample_disagreements": sample_disagreements(ours, theirs),
        "largest_eff_gaps": [
            {"task_id": t, "effboard": round(o, 4), "enam": round(e, 4)}
            for _, t, o, e in eff_gaps[:8]
        ],
    }


def problem_effs(result: dict) -> dict[str, float]:
    """eff@1 per problem (task id) of one run, from Effboard's or from enam's output."""
    if "problems" in result:
        return {task_id: problem["eff@1"] for task_id, problem in result["problems"].items()}
    return {f"HumanEval/{index}": sum(effs) / len(effs) for index, effs in result["effs"].items()}


def mean_abs_difference(a: dict[str, float], b: dict[str, float]) -> float:
    """The mean absolute per-problem difference over the problems of `b` (0 where missing)."""
    return sum(abs(a.get(task_id, 0.0) - value) for task_id, value in b.items()) / len(b)


def per_problem_agreement(ours: list[dict], theirs: list[dict]) -> dict:
    """Aggregates hide per-problem gaps that cancel out: the mean absolute per-problem eff@1
    difference between the two evaluators (mean over every pair of runs), next to each
    evaluator's against itself (between its rounds), and the problems whose gap is
    systematic (the mean signed difference over all pairs beyond 0.1)."""
    ours, theirs = [problem_effs(r) for r in ours], [problem_effs(r) for r in theirs]
    pairs = [(o, t) for o in ours for t in theirs]
    between = [mean_abs_difference(o, t) for o, t in pairs]

    def within(runs: list[dict]) -> float | None:
        gaps = [mean_abs_difference(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]]
        return sum(gaps) / len(gaps) if gaps else None

    systematic = {}
    for task_id in theirs[0]:
        gap = sum(o.get(task_id, 0.0) - t[task_id] for o, t in pairs) / len(pairs)
        if abs(gap) > 0.1:
            systematic[task_id] = round(gap, 3)
    return {
        "effboard_vs_enam": sum(between) / len(between),
        "enam_vs_enam": within(theirs),
        "effboard_vs_effboard": within(ours),
        "systematic_gaps": dict(sorted(systematic.items(), key=lambda item: -abs(item[1]))),
    }


def call_share(ours: dict, wall: float) -> float:
    """The share of the wall time spent inside calls of samples and references."""
    return sum(problem["call_seconds"] for problem in ours["problems"].values()) / wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="humaneval-canonical,enamel-references")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--problems")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    out = Path(args.out)
    env = scratch_env(out / "agreement")
    prepare_database(env)
    report = {}
    for name in args.sets.split(","):
        sample_file, problems = sample_set(name, out / "agreement", args.problems)
        # Warm-up: fills both test caches; its times are the generation times.
        warm_ours = run_effboard(sample_file, out / f"{name}-warm-effboard.json", env, problems)
        warm_theirs = run_enam(sample_file, out / f"{name}-warm-enam.json", out / "enam-tests",
                               problems)
        rounds = []
        for round_number in range(args.rounds):
            sides = [("effboard", run_effboard), ("enam", run_enam)]
            if round_number % 2:
                sides.reverse()
            walls = {}
            for side, _ in sides:
                target = out / f"{name}-{round_number}-{side}.json"
                walls[side] = (
                    run_effboard(sample_file, target, env, problems) if side == "effboard"
                    else run_enam(sample_file, target, out / "enam-tests", problems)
                )
            ours = load(out / f"{name}-{round_number}-effboard.json")
            theirs = load(out / f"{name}-{round_number}-enam.json")
            rounds.append({
                "effboard": {k: ours["metrics"][k] for k in ("pass@1", "eff@1")},
                "enam": {k: theirs["metrics"][k] for k in ("pass@1", "eff@1")},
                "wall_seconds": walls,
                "wall_ratio_effboard_over_enam": walls["effboard"] / walls["enam"],
                "enam_inner_seconds": theirs["seconds"],
                "effboard_call_share": call_share(ours, walls["effboard"]),
                **compare(ours, theirs),
            })
        report[name] = {
            "warmup_wall_seconds": {"effboard": warm_ours, "enam": warm_theirs},
            "rounds": rounds,
            "warmup_sample_disagreements": sample_disagreements(
                load(out / f"{name}-warm-effboard.json"), load(out / f"{name}-warm-enam.json")),
            # The warm-up runs are comparisons too (their tests generated first, untimed).
            "per_problem": per_problem_agreement(
                [load(out / f"{name}-{n}-effboard.json") for n in ["warm", *range(args.rounds)]],
                [load(out / f"{name}-{n}-enam.json") for n in ["warm", *range(args.rounds)]],
            ),
        }
        print(json.dumps({name: report[name]}, indent=1))
    rows = [
        [name, number, r["effboard"]["pass@1"], r["enam"]["pass@1"], len(r["pass_disagreements"]),
         len(r["sample_disagreements"]),
         r["effboard"]["eff@1"], r["enam"]["eff@1"], r["wall_seconds"]["effboard"],
         r["wall_seconds"]["enam"], r["wall_ratio_effboard_over_enam"], r["effboard_call_share"]]
        for name, entry in report.items() for number, r in enumerate(entry["rounds"])
    ]
    table = markdown_table(
        ["set", "round", "pass@1 Effboard", "pass@1 enam", "pass disagreements",
         "sample disagreements",
         "eff@1 Effboard", "eff@1 enam", "wall Effboard (s)", "wall enam (s)",
         "wall ratio", "call share"],
        rows,
    )
    table += "\n\n" + markdown_table(
        ["set", "per-problem mean abs. eff@1 gap, Effboard–enam", "enam–enam", "Effboard–Effboard",
         "problems with a systematic gap > 0.1"],
        [[name, entry["per_problem"]["effboard_vs_enam"], entry["per_problem"]["enam_vs_enam"],
          entry["per_problem"]["effboard_vs_effboard"],
          ", ".join(f"{t.split('/')[1]} ({g:+.2f})"
                    for t, g in entry["per_problem"]["systematic_gaps"].items()) or "none"]
         for name, entry in report.items()],
    )
    # The sets at the top level, as before, plus the command line and the machine.
    write_report(out, "agreement", report, table)


if __name__ == "__main__":
    main()
