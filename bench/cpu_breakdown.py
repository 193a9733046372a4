"""Where the CPU goes: Effboard's `manage.py evaluate` against enam's evaluator, by process.

    .venv/bin/python bench/cpu_breakdown.py [--set humaneval-canonical] [--problems 0,3,7]
        [--rounds 2] [--zygotes 1,2] [--out bench/out]

Both sides evaluate the same sample set with their tests cached (filled by an untimed warm-up
run of each). Rounds alternate the sides; within a round Effboard runs once per number of
zygotes (`SANDBOX_ZYGOTES`). Each side's process tree is sampled every 0.1 s from /proc, and
per run the script reports:

- wall seconds, and the machine's busy CPU-seconds (/proc/stat) over the same interval;
- Effboard's CPU-seconds split by process: the worker (the `evaluate` process itself), the
  zygotes, and the children they forked and reaped (one per run: their setup, the calls,
  their teardown); under bubblewrap a zygote is the python process below bwrap;
- the seconds inside calls, samples' and references' (`call_seconds` in `--output`);
- enam's CPU-seconds (it runs everything in its one process).

Accounting comes from the kernel (utime/stime, and cutime/cstime of children a process has
reaped), read at the last sample before a process exits: up to 0.1 s of a zygote's last work
is missed. Writes bench/out/cpu_breakdown.json.
"""

import argparse
import os
import subprocess
import threading
import time
from pathlib import Path

from agreement import effboard_command, enam_command, run_enam
from common import (
    ROOT,
    SAMPLE_SETS,
    descendants,
    load,
    markdown_table,
    median,
    parse_problems,
    prepare_database,
    scratch_env,
    warm_test_cache,
    write_report,
)

TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy since boot (all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS


def process_times(pid: int) -> tuple[str, float, float] | None:
    """(command line, own CPU-seconds, CPU-seconds of reaped children), None once gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    utime, stime, cutime, cstime = (int(value) / TICKS for value in fields[11:15])
    return command, utime + stime, cutime + cstime


class TreeSampler:
    """Keeps the latest CPU times of every process of a tree while it runs."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.latest: dict[int, tuple[str, float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            for pid in [self.root, *descendants(self.root)]:
                times = process_times(pid)
                if times is not None:
                    self.latest[pid] = times

    def stop(self) -> dict[int, tuple[str, float, float]]:
        self._stop.set()
        self._thread.join()
        return self.latest


def measured(command: list[str], env: dict[str, str]) -> dict:
    """Runs the command; its wall time, the machine's busy CPU and its tree's CPU times."""
    busy, started = machine_busy_seconds(), time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    sampler = TreeSampler(process.pid)
    returncode = process.wait()
    wall, busy = time.monotonic() - started, machine_busy_seconds() - busy
    tree = sampler.stop()
    if returncode:
        raise SystemExit(f"failed: {' '.join(command)}")
    return {"wall_seconds": wall, "machine_busy_seconds": busy, "tree": tree,
            "root": process.pid}


def effboard_run(sample_file: Path, out: Path, env: dict[str, str], problems: str | None,
                 zygotes: int) -> dict:
    run = measured(effboard_command(sample_file, out, problems),
                   {**env, "SANDBOX_ZYGOTES": str(zygotes)})
    tree, root = run.pop("tree"), run.pop("root")
    zygotes_found = [times for command, *times in tree.values()
                     if "zygote.py" in command and not command.startswith("bwrap")]
    run["worker_cpu_seconds"] = tree[root][1]
    run["zygote_cpu_seconds"] = sum(own for own, _ in zygotes_found)
    run["children_cpu_seconds"] = sum(reaped for _, reaped in zygotes_found)
    run["call_seconds"] = sum(problem["call_seconds"]
                              for problem in load(out)["problems"].values())
    run["eff@1"] = load(out)["metrics"]["eff@1"]
    return run


def enam_run(sample_file: Path, out: Path, cache: Path, problems: str | None) -> dict:
    run = measured(enam_command(sample_file, out, cache, problems), dict(os.environ))
    tree = run.pop("tree")
    del run["root"]
    run["enam_cpu_seconds"] = sum(own + reaped for _, own, reaped in tree.values())
    run["eff@1"] = load(out)["metrics"]["eff@1"]
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="humaneval-canonical", choices=sorted(SAMPLE_SETS))
    parser.add_argument("--problems", help="comma-separated indices (default: ENAMEL's 142)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--zygotes", default="1,2")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()

    out = Path(args.out).resolve()
    workdir = out / "cpu_breakdown"
    env = scratch_env(workdir)
    prepare_database(env)
    sample_file = SAMPLE_SETS[args.set]
    zygote_counts = [int(count) for count in args.zygotes.split(",")]
    warm_test_cache(env, parse_problems(args.problems))
    run_enam(sample_file, workdir / "warm-enam.json", workdir / "enam-tests", args.problems)

    runs = []
    for round_number in range(args.rounds):
        sides = ["enam", *zygote_counts]
        if round_number % 2:
            sides.reverse()
        for side in sides:
            target = workdir / f"round{round_number}-{side}.json"
            if side == "enam":
                run = enam_run(sample_file, target, workdir / "enam-tests", args.problems)
            else:
                run = effboard_run(sample_file, target, env, args.problems, side)
            runs.append({"round": round_number, "side": f"effboard, {side} zygote(s)"
                         if side != "enam" else "enam", **run})
            print({key: round(value, 3) if isinstance(value, float) else value
                   for key, value in runs[-1].items()}, flush=True)

    headers = ["side", "wall (s)", "machine busy (CPU-s)", "worker", "zygotes",
               "children", "inside calls (s)", "enam process", "eff@1"]
    rows = []
    for side in dict.fromkeys(run["side"] for run in runs):
        mine = [run for run in runs if run["side"] == side]

        def typical(key: str, mine: list[dict] = mine) -> float | str:
            values = [run[key] for run in mine if key in run]
            return round(median(values), 2) if values else ""

        rows.append([side, typical("wall_seconds"), typical("machine_busy_seconds"),
                     typical("worker_cpu_seconds"), typical("zygote_cpu_seconds"),
                     typical("children_cpu_seconds"), typical("call_seconds"),
                     typical("enam_cpu_seconds"), typical("eff@1")])
    table = markdown_table(headers, rows) + (
        f"\n\nMedians over {args.rounds} round(s); CPU columns in CPU-seconds.")
    write_report(out, "cpu_breakdown", {"set": args.set, "runs": runs}, table)


if __name__ == "__main__":
    main()
