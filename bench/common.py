"""Shared helpers for the benchmark scripts: a scratch Effboard database, timing, medians."""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
ENAMEL_CSV = SHARED / "enamel" / "enamel.csv"
SAMPLE_SETS = {
    name: SHARED / "enamel" / "samples" / f"{name}.json"
    for name in ("humaneval-canonical", "humanevalplus-canonical", "enamel-references")
}


def scratch_env(workdir: Path) -> dict[str, str]:
    """An environment whose Effboard database, test cache and var/ live in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "EFFBOARD_VAR_DIR": str(workdir),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"),
        "TEST_CACHE_DIR": str(workdir / "tests"),
    }


def prepare_database(env: dict[str, str]) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["import_enamel"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the peak RSS (bytes) of the largest child process of the command."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}")
    return time.monotonic() - started, usage.ru_maxrss * 1024


def children_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def median(values: list[float]) -> float:
    return statistics.median(values)
