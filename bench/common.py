"""Shared helpers for the benchmark scripts: a scratch Effboard database, timing, medians."""

import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The test suite's service helpers (a private redis-server, process trees) serve here too.
sys.path.insert(0, str(ROOT))
from tests.services import descendants, free_port, running_redis  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
# The checkout whose manage.py the scripts run: another one (a git worktree of an earlier
# commit, say) measures before and after with the same harness and the same venv.
CHECKOUT = Path(os.environ.get("EFFBOARD_CHECKOUT", ROOT)).resolve()
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
        "ENAMEL_DATA_DIR": str(SHARED / "enamel"),
        "GENERATIONS_DIR": str(SHARED / "generations"),
    }


def prepare_database(env: dict[str, str]) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["import_enamel"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=CHECKOUT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the peak RSS (bytes) of the largest child process of the command."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=CHECKOUT, env=env, stdout=subprocess.DEVNULL)
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


# --- Problems and sample sets --------------------------------------------------------------

# ENAMEL's 142 problems: range(164) minus the ones the benchmark leaves out.
EXCLUDED = {2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156,
            157, 159, 160}
PROBLEMSET = [i for i in range(164) if i not in EXCLUDED]


def parse_problems(value: str | None) -> list[int]:
    """--problems: "all" or nothing = the 142; else indices like 0,3,7."""
    if not value or value == "all":
        return list(PROBLEMSET)
    return sorted({int(part) for part in value.split(",") if part.strip()})


def subset_file(sample_set: str, problems: list[int], workdir: Path) -> Path:
    """A copy of a shared sample set holding only these problems (ENAMEL's dict format), so a
    submission queued with `manage.py submit` evaluates only them."""
    codes = json.loads(SAMPLE_SETS[sample_set].read_text())
    if isinstance(codes, list):
        codes = {str(i): entry for i, entry in enumerate(codes) if entry}
    chosen = {str(i): codes[str(i)] for i in problems if codes.get(str(i))}
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{sample_set}-{len(chosen)}.json"
    path.write_text(json.dumps(chosen))
    return path


def warm_test_cache(env: dict[str, str], problems: list[int]) -> float:
    """Generates and caches the tests (and reference answers) of these problems in env's
    TEST_CACHE_DIR, so that no measured run pays for generation; returns the seconds taken."""
    code = (
        "from evaluation import api\n"
        "from problems.models import Problem\n"
        f"for p in Problem.objects.filter(active=True, index__in={problems!r}):\n"
        "    errors = api.validate_problem(p.to_spec())\n"
        "    assert not errors, errors\n"
    )
    started = time.monotonic()
    subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


# --- Processes -----------------------------------------------------------------------------

def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (an RQ worker then finishes its job and quits), SIGKILL the tree if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """A redis-server of our own on a free loopback port, no persistence; yields its URL."""
    with running_redis() as server:
        yield server.url


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    """`manage.py rqworker default` processes, each in its own session (so a Ctrl-C of the
    script does not hit them mid-job); logs in logs/worker-N.log."""
    logs.mkdir(parents=True, exist_ok=True)
    workers = []
    for n in range(count):
        with (logs / f"worker-{n}.log").open("ab") as out:
            workers.append(subprocess.Popen(
                [PYTHON, "manage.py", "rqworker", "default", "--name",
                 f"bench-{n}-{os.getpid()}-{time.monotonic_ns()}"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            ))
    return workers


# --- PostgreSQL ----------------------------------------------------------------------------

@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster like deploy/ci-postgres.sh: initdb into /tmp (which the
    postgres user can reach, unlike some checkouts), a free loopback port, trust auth, fsync
    off (thrown away, so durability only costs time); as the postgres user when we are root
    (initdb refuses root). Yields the database URL."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                     key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not bindirs or not (bindirs[-1] / "initdb").exists():
        sys.exit("PostgreSQL server binaries not found (bash deploy/system-packages.sh test)")
    bindir = bindirs[-1]
    as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    cluster = Path(tempfile.mkdtemp(prefix="effboard-bench-pg."))
    cluster.chmod(0o755)
    data, sock = cluster / "data", cluster / "socket"
    data.mkdir()
    sock.mkdir()
    if as_owner:
        shutil.chown(data, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run([*as_owner, str(bindir / "initdb"), "-D", str(data), "--username=postgres",
                    "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        subprocess.run(
            [*as_owner, str(bindir / "pg_ctl"), "start", "-w", "-D", str(data),
             "-l", str(data / "server.log"),
             "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off"],
            check=True, stdout=subprocess.DEVNULL,
        )
        subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "postgres", "effboard"], check=True)
        yield f"postgres://postgres@127.0.0.1:{port}/effboard"
    finally:
        subprocess.run([*as_owner, str(bindir / "pg_ctl"), "stop", "-D", str(data),
                        "-m", "immediate"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(cluster, ignore_errors=True)


# --- Reports -------------------------------------------------------------------------------

def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, object]:
    """What the figures were measured on, kept in every JSON output."""
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) * 1024
                  for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_bytes": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_report(out: Path, name: str, report: dict, table: str) -> None:
    """bench/out/<name>.json (with the machine and the command line) and the Markdown table
    on stdout, ready to paste into BENCHMARKS.md."""
    out.mkdir(parents=True, exist_ok=True)
    document = {"command": " ".join(sys.argv), "machine": machine(), **report}
    (out / f"{name}.json").write_text(json.dumps(document, indent=1))
    print(table)
    print(f"\nwrote {out / f'{name}.json'}")
