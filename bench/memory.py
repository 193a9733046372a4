"""Memory: peak memory of an Effboard worker during a full evaluation vs enam's evaluator.

    .venv/bin/python bench/memory.py [--set humaneval-canonical] [--problems all]
        [--rounds 2] [--interval 0.05] [--out bench/out]

Effboard side: a private redis-server, a scratch SQLite database, one `manage.py rqworker
default` and `manage.py submit FILE --model NAME --wait`; the worker's whole process tree is
sampled (the worker, RQ's work horse forked per job, the sandbox's zygote and the children
it forks per run). enam side: bench/enam_eval.py, its process tree sampled the same way.
Both with their tests cached beforehand (a deployment's steady state; enam then unpickles
every problem's tests at once, Effboard one problem's at a time). Rounds alternate which
side goes first. Per side, the maximum over rounds of:

- peak Σ VmHWM: the sum over the live processes of the tree of each one's high-water mark,
  at the sample where it is largest. The headline figure: it also catches peaks between
  samples, but counts pages shared after fork once per process, so it errs high for a
  forking tree (Effboard) and is exact for a single process (enam);
- peak Σ PSS: proportional set size summed over the tree, shared pages split among their
  sharers: the memory the tree really holds, at sample times only;
- largest process: the biggest single VmHWM seen (what ru_maxrss would report).

Processes that live less than one sampling interval (a sandbox child per short run) are
seen only when a sample lands on them; their pages are mostly the zygote's, shared.
Writes bench/out/memory.json. Target: Effboard's peak at most 0.5 x enam's.
"""

import argparse
import os
import subprocess
import threading
from pathlib import Path

import redis
from common import (
    ENAMEL_CSV,
    PYTHON,
    ROOT,
    SAMPLE_SETS,
    markdown_table,
    parse_problems,
    prepare_database,
    private_redis,
    scratch_env,
    start_workers,
    stop_process,
    subset_file,
    warm_test_cache,
    write_report,
)
from common import descendants as tree_of
from scaling import wait_registered

SIDES = ("effboard", "enam")
KEYS = ("peak_sum_hwm_bytes", "peak_sum_pss_bytes", "largest_process_hwm_bytes")


def status_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in KiB, or None for a process gone or without memory of its own."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0])
    except OSError:
        return None
    if len(fields) < 2:
        return None
    return fields["VmRSS"], fields["VmHWM"]


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants every `interval` seconds."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.stopped = threading.Event()
        self.peaks = dict.fromkeys(KEYS, 0)
        self.samples = 0
        self.most_processes = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(self.interval)

    def sample(self) -> None:
        total_hwm = total_pss = largest = live = 0
        for pid in [self.pid, *tree_of(self.pid)]:
            memory = status_kib(pid)
            if memory is None:
                continue
            live += 1
            total_hwm += memory[1]
            largest = max(largest, memory[1])
            total_pss += pss_kib(pid)
        self.samples += 1
        self.most_processes = max(self.most_processes, live)
        for key, value in zip(KEYS, (total_hwm, total_pss, largest), strict=True):
            self.peaks[key] = max(self.peaks[key], value * 1024)

    def finish(self) -> dict:
        self.stopped.set()
        self.join()
        return {**self.peaks, "samples": self.samples, "most_processes": self.most_processes}


def measure_effboard(sample_file: Path, model: str, env: dict[str, str], url: str,
                     workdir: Path, interval: float) -> dict:
    (worker,) = start_workers(1, env, workdir / "logs")
    try:
        wait_registered(url, 1)
        # Sampling starts once the worker is idle and ready: its start-up is no evaluation.
        sampler = TreeSampler(worker.pid, interval)
        sampler.start()
        subprocess.run(
            [PYTHON, "manage.py", "submit", str(sample_file), "--model", model, "--wait"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # One more sample: the tree as it stands at the end.
        sampler.sample()
        return sampler.finish()
    finally:
        stop_process(worker)
        # The next round's wait_registered must count only its own worker.
        redis.Redis.from_url(url).delete("rq:workers")


def enam_command(sample_set: str, indices: str, workdir: Path) -> list[str]:
    return [PYTHON, "bench/enam_eval.py", str(SAMPLE_SETS[sample_set]), "--csv", str(ENAMEL_CSV),
            "--tests-cache", str(workdir / "enam-tests"), "--output",
            str(workdir / "enam.json"), "--problems", indices]


def measure_enam(command: list[str], interval: float) -> dict:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    sampler = TreeSampler(process.pid, interval)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    result = sampler.finish()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    # The kernel's own figure for the process itself, immune to sampling gaps.
    result["ru_maxrss_bytes"] = usage.ru_maxrss * 1024
    result["largest_process_hwm_bytes"] = max(result["largest_process_hwm_bytes"],
                                              result["ru_maxrss_bytes"])
    result["peak_sum_hwm_bytes"] = max(result["peak_sum_hwm_bytes"], result["ru_maxrss_bytes"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="humaneval-canonical", choices=sorted(SAMPLE_SETS))
    parser.add_argument("--problems", help="indices like 0,3,7 (default: all 142)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between samples")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    out = Path(args.out)
    workdir = (out / "memory").resolve()
    problems = parse_problems(args.problems)
    indices = ",".join(map(str, problems))

    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    with private_redis(workdir) as url:
        env = {**scratch_env(workdir), "REDIS_URL": url}
        prepare_database(env)
        sample_file = subset_file(args.set, problems, workdir)
        warm_test_cache(env, problems)
        # enam_eval.py generates and pickles its tests on its first run only.
        command = enam_command(args.set, indices, workdir)
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        for number in range(args.rounds):
            for side in SIDES if number % 2 == 0 else reversed(SIDES):
                if side == "effboard":
                    result = measure_effboard(sample_file, f"memory-{number}", env, url,
                                              workdir, args.interval)
                else:
                    result = measure_enam(command, args.interval)
                runs[side].append(result)
                print(f"round {number} {side}: peak Σ VmHWM "
                      f"{result['peak_sum_hwm_bytes'] / 2**20:.0f} MiB, "
                      f"{result['samples']} samples", flush=True)

    peaks = {side: {key: max(r[key] for r in runs[side]) for key in KEYS} for side in SIDES}
    ratios = {key: peaks["effboard"][key] / peaks["enam"][key] for key in KEYS}
    rows = [[side, *(round(peaks[side][key] / 2**20, 1) for key in KEYS),
             max(r["most_processes"] for r in runs[side])] for side in SIDES]
    rows.append(["ratio Effboard / enam", *(ratios[key] for key in KEYS), ""])
    table = markdown_table(
        ["side", "peak Σ VmHWM (MiB)", "peak Σ PSS (MiB)", "largest process (MiB)",
         "most processes"],
        rows,
    )
    write_report(out, "memory", {
        "set": args.set, "problems": len(problems), "rounds": args.rounds,
        "interval_seconds": args.interval, "runs": runs, "peaks_bytes": peaks,
        "ratios": ratios, "target_met": ratios["peak_sum_hwm_bytes"] <= 0.5,
    }, table)


if __name__ == "__main__":
    main()
