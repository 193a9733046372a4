"""Runs untrusted programs safely and fast: the worker's side of the sandbox (stdlib only).

A `Sandbox` keeps warm zygotes (evaluation/zygote.py) alive: one or more inside bubblewrap,
which take turns, or, as a weaker fallback, one directly under rlimits. Each run is a fresh child
forked from a zygote: the program's module code runs first, then its calls one at a time,
each call's input arriving only once the previous call's result is back; the zygote, not the
child, measures each call's wall time and enforces its deadline.
What comes back is decoded as plain data only; nothing the child produced is ever executed
here.

Not thread-safe: use one Sandbox per thread.
"""

import contextlib
import itertools
import json
import logging
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation import cgroups, runtime_image, seccomp
from evaluation.decoding import UnsafeOutput as UnsafeOutput  # callers catch it here
from evaluation.decoding import decode_output

# The wire protocol, defined once: the zygote is a standalone script, importable for these.
from evaluation.zygote import (
    CALL_SECONDS,
    FRAME_LENGTH,
    IMPORT_SECONDS,
    MAX_OUTPUT_BYTES,
    RETIRED_EXIT_CODE,
    Header,
    frame,
    frame_bounds,
    message,
    one_line,
    widen_pipe,
)
from evaluation.zygote import RunStatus as RunStatus  # the statuses of RunResult

logger = logging.getLogger(__name__)

ZYGOTE_SCRIPT = Path(__file__).with_name("zygote.py")
ZYGOTE_PATH_IN_SANDBOX = "/sandbox/zygote.py"
SCRATCH_IN_SANDBOX = "/tmp"
SANDBOX_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
ISOLATIONS = ("auto", "bubblewrap", "rlimits")
# What a header's status may be: `"ok" in RunStatus` is deprecated on Python 3.11.
STATUSES = tuple(RunStatus)

MAX_HEADER_BYTES = 64 * 1024
# Per call: the zygote refuses larger outputs before we see them.
MAX_OUTPUT_FRAME_BYTES = FRAME_LENGTH.size + MAX_OUTPUT_BYTES
STARTUP_SECONDS = 30.0
# The zygote enforces every deadline; this watchdog only catches a zygote that hangs itself,
# or that a run stopped (SIGSTOP), soon after the run's own deadline. It counts from the
# zygote's "ready"; the margin covers its grace of DEADLINE_MARGIN_SECONDS after each call,
# and moving the results.
WATCHDOG_MARGIN_SECONDS = 2.0
# How long the zygote may take to say "ready" for the next run: to wait for the last run's
# processes to be gone, and to remove its files for up to zygote.py's CLEANUP_SECONDS (else
# it retires). A zygote that says nothing by then never took the run.
READY_SECONDS = 2.0

CHILD_MAX_PROCESSES = 32  # counts threads too; enough for a thread pool, not a fork bomb
CHILD_MAX_FILE_BYTES = 16 * 1024**2
CHILD_MAX_OPEN_FILES = 64
# The sandbox's /tmp (a tmpfs: memory) holds at most this, all runs' files together.
SCRATCH_BYTES = 256 * 1024**2
# A zygote's cgroup holds its run's memory limit, a full /tmp and this for the zygote itself,
# the child waiting for the next run and bwrap; and the run's processes plus a few for these.
CGROUP_HEADROOM_BYTES = 128 * 1024**2
CGROUP_EXTRA_PROCESSES = 8
# Installed by the zygote in every child; empty on a machine without a system call table.
SYSCALL_FILTER = seccomp.build_filter()

# Running as root, the sandbox gets a uid of its own: RLIMIT_NPROC does not bind uid 0, and a
# uid shared with other sandboxes would let them signal each other and share the count.
SANDBOX_UID_BASE = 1_000_000_000
_sandbox_serial = itertools.count()

@dataclass
class RunResult:
    status: RunStatus
    blob: bytes = b""  # the call's pickled output (only when OK), decoded by `output`
    # The call's duration by the child's own clock: the sample's to fake, so only ever a
    # refinement within what the zygote's clock allows (see evaluation.engine.charged_time).
    call_seconds: float = 0.0
    wall_seconds: float = 0.0  # zygote-measured, input sent to whole result received
    # The child's CPU time over that span by the kernel's count, all its threads included:
    # decoding the input, the call, encoding the output (see engine.ProblemRunner._cpu_floor).
    cpu_seconds: float = 0.0
    module_seconds: float = 0.0  # zygote-measured, the program's module code before the call
    peak_memory: int = 0  # bytes, the child's max RSS
    error: str = ""  # "ExceptionType: short message" for error/memory/killed

    @property
    def output(self) -> object:
        """The call's return value as plain data (None unless OK), decoded when asked for,
        so that a run's outputs are decoded one at a time as they are checked. Raises
        UnsafeOutput for anything but plain data."""
        return decode_output(self.blob) if self.status == RunStatus.OK else None


class SandboxLost(Exception):
    """The zygote died, hung or broke the protocol; it is replaced before the next run."""


class RunNotTaken(SandboxLost):
    """The zygote failed before it took the run (it never said "ready"): what the last run
    left behind stopped or killed it, or it retired. The run was not made."""


def read_child_message(result: RunResult, sent: bytes) -> None:
    """Fills `result` from what its child sent (see zygote.py's RESULT_HEAD): the call's time
    by the child's clock, then the output, or the error's text.

    That time must be a figure the zygote's clock allows, from 0 to the wall time it saw:
    anything else is a forged result, an error whatever the output.
    """
    (call_seconds,) = CALL_SECONDS.unpack_from(sent)
    payload = sent[CALL_SECONDS.size:]
    if result.status != RunStatus.OK:
        result.error = one_line(payload.decode(errors="replace")) or result.error
        return
    if not 0.0 <= call_seconds <= result.wall_seconds:  # also false for NaN
        result.status = RunStatus.ERROR
        result.error = one_line(
            f"ForgedResult: the call's own clock says {call_seconds!r} s where the zygote's "
            f"saw {result.wall_seconds:.6f} s"
        )
        return
    result.call_seconds, result.blob = call_seconds, payload


def split_frames(blob: bytes) -> list[bytes]:
    """The frames `blob` holds back to back; raises SandboxLost unless they fill it exactly."""
    try:
        bounds = frame_bounds(blob)
    except ValueError:
        raise SandboxLost("truncated output frame") from None
    return [blob[start + FRAME_LENGTH.size:end] for start, end in bounds]


def sandbox_programs(sandbox_uid: int | None) -> tuple[str, ...]:
    """The host programs the sandbox runs besides Python (in its image, see bubblewrap_command)."""
    return (shutil.which("setpriv") or "setpriv",) if sandbox_uid is not None else ()


def bubblewrap_command(python: str, sandbox_uid: int | None, image_root: str,
                       zygote_copy: str) -> list[str]:
    """bwrap around the zygote: no network, no project files, a private /proc and /tmp.

    The system the sandbox sees is `image_root`, a copy in memory of `python` and
    sandbox_programs(sandbox_uid), never the host's own files: whose pages are cached is state
    the whole host shares (see evaluation.runtime_image). The zygote script is `zygote_copy`."""
    command = ["bwrap", "--die-with-parent", "--new-session", "--clearenv"]
    if sandbox_uid is None:
        command += ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:
        # As root, a user namespace would map the sandbox back to uid 0; instead we keep
        # the host's user namespace and drop to an unprivileged uid with setpriv below.
        command += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                    "--unshare-cgroup-try"]
    for name, value in SANDBOX_ENV.items():
        command += ["--setenv", name, value]
    command += runtime_image.bind_arguments(image_root)
    command += ["--perms", "0755", "--dir", os.path.dirname(ZYGOTE_PATH_IN_SANDBOX),
                "--ro-bind", zygote_copy, ZYGOTE_PATH_IN_SANDBOX,
                # Read-only: writing /proc/self/clear_refs would reset the peak memory we read,
                # and files in /dev (/dev/shm too) would outlive the run, unlike those in /tmp.
                "--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
                "--perms", "01777", "--size", str(SCRATCH_BYTES), "--tmpfs", SCRATCH_IN_SANDBOX,
                "--remount-ro", "/", "--chdir", SCRATCH_IN_SANDBOX]
    if sandbox_uid is not None:
        command += ["setpriv", f"--reuid={sandbox_uid}", f"--regid={sandbox_uid}",
                    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                    "--no-new-privs"]
    return command + [python, "-I", "-S", "-B", ZYGOTE_PATH_IN_SANDBOX]


def base_interpreter() -> str:
    """The base installation's python (never the venv's, whose site-packages we do not bind)."""
    candidate = os.path.realpath(sys.executable)
    if candidate.startswith(os.path.realpath(sys.base_prefix) + os.sep):
        return candidate
    major, minor = sys.version_info[:2]
    return os.path.join(os.path.realpath(sys.base_prefix), "bin", f"python{major}.{minor}")


def world_reachable(path: str) -> bool:
    """Whether any uid can reach `path`: every ancestor directory is world-searchable."""
    return all(os.stat(parent).st_mode & 0o001 for parent in Path(path).parents)


class ZygoteProcess:
    """One warm zygote: its process, its pipes and the protocol spoken over them."""

    def __init__(self, python: str, isolation: str, memory_bytes: int) -> None:
        self.python = python
        self.isolation = isolation
        self.memory_bytes = memory_bytes
        self.sandbox_uid = None
        if os.geteuid() == 0:
            self.sandbox_uid = SANDBOX_UID_BASE + os.getpid() * 64 + next(_sandbox_serial) % 64
        self.process: subprocess.Popen[bytes] | None = None
        self._input_fd = self._output_fd = -1  # the zygote's stdin and stdout
        self._inbox = bytearray()  # what the zygote sent that no message was made of yet
        self._scratch_base: str | None = None
        self.cgroup: cgroups.Cgroup | None = None
        self._leases: list[runtime_image.Lease] = []  # on the image and zygote it binds
        # "cgroup" once its first start made it one, else "per-process" (only rlimits apply).
        self.resource_limits: str | None = None

    def start(self) -> None:
        # The stack may grow to the memory limit, as ENAMEL sets it: deep recursion (through
        # functools.lru_cache, say) that passes there must not crash here.
        limits = {"RLIMIT_AS": self.memory_bytes, "RLIMIT_STACK": self.memory_bytes,
                  "RLIMIT_NPROC": CHILD_MAX_PROCESSES, "RLIMIT_FSIZE": CHILD_MAX_FILE_BYTES,
                  "RLIMIT_NOFILE": CHILD_MAX_OPEN_FILES, "RLIMIT_CORE": 0}
        uid = self.sandbox_uid
        if self.isolation == "bubblewrap":
            # Held until stop(): no cleanup removes the files a running sandbox binds.
            self._release_leases()  # of a start that failed
            self._leases = [runtime_image.runtime_image(self.python, sandbox_programs(uid)),
                            runtime_image.file_copy(str(ZYGOTE_SCRIPT))]
            command = bubblewrap_command(self.python, uid,
                                         *(lease.path for lease in self._leases))
            scratch_base, cwd = SCRATCH_IN_SANDBOX, "/"
            user_options: dict[str, Any] = {}
        else:
            self._scratch_base = tempfile.mkdtemp(prefix="effboard-sandbox-")
            if uid is not None and world_reachable(self.python):
                os.chown(self._scratch_base, uid, uid)
                user_options = {"user": uid, "group": uid, "extra_groups": []}
            else:
                if uid is not None:
                    logger.warning("rlimits sandbox runs as root: %s is not reachable by an "
                                   "unprivileged uid, so RLIMIT_NPROC does not apply",
                                   self.python)
                user_options = {}
            command = [self.python, "-I", "-S", "-B", str(ZYGOTE_SCRIPT)]
            scratch_base = cwd = self._scratch_base
        self.cgroup = self._new_cgroup()
        # The process joins its cgroup before it runs anything, so all it forks is inside.
        with self.cgroup.joining() if self.cgroup else contextlib.nullcontext() as join:
            process = self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd,
                env=dict(SANDBOX_ENV), close_fds=True, start_new_session=True,
                preexec_fn=join, **user_options,
            )
        assert process.stdin is not None and process.stdout is not None  # both PIPE
        self._input_fd = process.stdin.fileno()
        self._output_fd = process.stdout.fileno()
        for fd in (self._input_fd, self._output_fd):
            widen_pipe(fd)
        os.set_blocking(self._input_fd, False)
        self._inbox = bytearray()
        if not SYSCALL_FILTER.program:
            logger.warning("sandbox without a seccomp filter: %s", SYSCALL_FILTER.reason)
        config = {"scratch_base": scratch_base, "pid_namespace": self.isolation == "bubblewrap",
                  "limits": limits, "syscall_filter": SYSCALL_FILTER.program.hex()}
        deadline = time.monotonic() + STARTUP_SECONDS
        self._send(message({"op": "config", **config}), deadline)
        hello, _ = self._receive(deadline)
        if hello.get("event") != "hello":
            raise SandboxLost(f"unexpected greeting {hello!r}")

    def _release_leases(self) -> None:
        while self._leases:
            self._leases.pop().release()

    def _new_cgroup(self) -> cgroups.Cgroup | None:
        """A cgroup for the zygote about to start, or None where there can be none: then
        only per-process limits apply, which `resource_limits` says. A zygote that had a
        cgroup never restarts without one."""
        if self.resource_limits == "per-process":
            return None
        parents = cgroups.find_parents()
        try:
            if parents is None:
                raise OSError("no memory and pids cgroup controllers we may use")
            cgroup = cgroups.Cgroup.create(
                parents, self.memory_bytes + SCRATCH_BYTES + CGROUP_HEADROOM_BYTES,
                CHILD_MAX_PROCESSES + CGROUP_EXTRA_PROCESSES)
        except OSError as exc:
            if self.resource_limits == "cgroup":
                raise SandboxLost(f"no cgroup for the zygote: {exc}") from None
            logger.info("sandbox limits apply per process only: %s", exc)
            self.resource_limits = "per-process"
            return None
        self.resource_limits = "cgroup"
        return cgroup

    def stop(self) -> int | None:
        """Stops the zygote; its exit status (negative: the signal that ended it)."""
        process, self.process = self.process, None
        if process is not None:
            assert process.stdin is not None and process.stdout is not None  # both PIPE
            process.stdin.close()  # a healthy zygote exits on end of input
            try:
                process.wait(1.0)
            except subprocess.TimeoutExpired:
                # Under bubblewrap this takes the whole PID namespace down with it.
                process.kill()
                process.wait()
            process.stdout.close()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._scratch_base is not None:
            shutil.rmtree(self._scratch_base, ignore_errors=True)
            self._scratch_base = None
        if self.cgroup is not None:
            self.cgroup.remove()  # and with it anything of the sandbox still alive
            self.cgroup = None
        self._release_leases()
        return None if process is None else process.returncode

    def run(self, program: str, entry_point: str, calls: list[tuple[bytes, float]],
            stop_after: float | None) -> list[RunResult]:
        """One run in this zygote's next child; raises RunNotTaken if the zygote failed
        before the run, SandboxLost if it failed during it."""
        if self.process is None:
            self.start()
        timeouts = [timeout for _, timeout in calls]
        # Sent at once, so a zygote done with the last run reads it without waiting for us;
        # the zygote takes it only after its "ready".
        ready_by = time.monotonic() + READY_SECONDS
        try:
            self._send(message({"op": "run", "program": program, "entry_point": entry_point,
                                "timeouts": timeouts, "stop_after": stop_after},
                               b"".join(frame(args) for args, _ in calls)), ready_by)
            ready, _ = self._receive(ready_by)
        except SandboxLost as exc:
            raise RunNotTaken(str(exc)) from None
        if ready.get("event") != "ready":
            raise RunNotTaken(f"unexpected message {ready!r}")
        # Each call's timeout covers its module code and the call itself; the program's
        # imports before them have their own.
        deadline = time.monotonic() + IMPORT_SECONDS + sum(timeouts) + WATCHDOG_MARGIN_SECONDS
        header, blob = self._receive(deadline, max_blob_bytes=len(calls) * MAX_OUTPUT_FRAME_BYTES)
        return self._results(header, blob, len(calls))

    @staticmethod
    def _results(header: Header, blob: bytes, sent: int) -> list[RunResult]:
        """A RunResult per call made: all OK but the last, which may have failed."""
        calls = header.get("calls")
        if header.get("event") != "result" or not isinstance(calls, list):
            raise SandboxLost("unexpected message from the zygote")
        outputs = split_frames(blob)
        if not 0 < len(calls) <= sent or len(outputs) != len(calls):
            raise SandboxLost("a result that does not match its calls")
        if not all(isinstance(call, dict) and call.get("status") in STATUSES for call in calls):
            raise SandboxLost("unexpected message from the zygote")
        if any(call["status"] != RunStatus.OK for call in calls[:-1]):
            raise SandboxLost("calls went on after a failed one")
        try:
            results = [
                RunResult(
                    status=RunStatus(call["status"]),
                    wall_seconds=float(call["wall_seconds"]),
                    cpu_seconds=float(call["cpu_seconds"]),
                    module_seconds=float(call["module_seconds"]),
                    peak_memory=int(header.get("peak_memory") or 0),
                    error=one_line(str(call.get("error", ""))),
                )
                for call in calls
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxLost(f"malformed result: {exc}") from None
        for result, output in zip(results, outputs, strict=True):
            if len(output) >= CALL_SECONDS.size:  # what the child sent (none: the zygote's)
                read_child_message(result, output)
            elif output:
                raise SandboxLost("malformed result: a truncated message")
        return results

    def _send(self, data: bytes, deadline: float) -> None:
        """Writes without blocking past the deadline, even to a zygote that was stopped."""
        pending = memoryview(data)
        poller = select.poll()
        poller.register(self._input_fd, select.POLLOUT)
        while pending:
            try:
                pending = pending[os.write(self._input_fd, pending):]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                raise SandboxLost(f"the zygote is gone ({type(exc).__name__})") from None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise SandboxLost("the zygote stopped reading")

    def _receive(self, deadline: float,
                 max_blob_bytes: int = MAX_OUTPUT_BYTES) -> tuple[Header, bytes]:
        """The zygote's next message, read in as few system calls as it arrives in."""
        poller = select.poll()
        poller.register(self._output_fd, select.POLLIN)
        inbox = self._inbox
        while True:
            received = self._take_message(inbox, max_blob_bytes)
            if received is not None:
                return received
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise SandboxLost("the zygote stopped answering")
            chunk = os.read(self._output_fd, 1 << 20)
            if not chunk:
                raise SandboxLost("the zygote died")
            inbox += chunk

    @staticmethod
    def _take_message(inbox: bytearray, max_blob_bytes: int) -> tuple[Header, bytes] | None:
        """Removes and returns the first complete message in `inbox`, if there is one."""
        if len(inbox) < FRAME_LENGTH.size:
            return None
        (header_size,) = FRAME_LENGTH.unpack_from(inbox, 0)
        if header_size > MAX_HEADER_BYTES:
            raise SandboxLost("oversized header")
        blob_at = FRAME_LENGTH.size + header_size
        if len(inbox) < blob_at + FRAME_LENGTH.size:
            return None
        (blob_size,) = FRAME_LENGTH.unpack_from(inbox, blob_at)
        if blob_size > max_blob_bytes:
            raise SandboxLost("oversized output")
        end = blob_at + FRAME_LENGTH.size + blob_size
        if len(inbox) < end:
            return None
        try:
            header = json.loads(bytes(inbox[FRAME_LENGTH.size:blob_at]))
        except ValueError:
            raise SandboxLost("malformed header") from None
        if not isinstance(header, dict):
            raise SandboxLost("malformed header")
        blob = bytes(inbox[blob_at + FRAME_LENGTH.size:end])
        del inbox[:end]
        return header, blob


class Sandbox:
    """Runs programs in fresh children of warm zygotes; see the module docstring.

    Under bubblewrap it keeps `zygotes` of them and, with two or more, they take turns: while
    one run's call is timed in one zygote's child, the other zygote cleans up after its last
    run and forks and warms up the child for the next, on another CPU. Each zygote lives in
    its own PID namespace (and, as root, under its own uid), so the code of one run can
    neither see nor signal the child waiting for the next. Under the rlimits fallback nothing
    would separate them, so there is one zygote, which cleans up and forks between runs.
    """

    def __init__(self, memory_bytes: int = 4 * 1024**3, isolation: str = "auto",
                 zygotes: int = 1) -> None:
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, not {isolation!r}")
        if zygotes < 1:
            raise ValueError(f"a sandbox needs at least one zygote, not {zygotes}")
        python = base_interpreter()
        self.isolation = "rlimits"
        if isolation != "rlimits":
            probe = ZygoteProcess(python, "bubblewrap", memory_bytes)
            problem = bubblewrap_problem(probe)
            if problem and isolation == "bubblewrap":
                raise RuntimeError(
                    f"bubblewrap sandbox unavailable ({problem}): install the bubblewrap "
                    "package and allow user namespaces (sysctl user.max_user_namespaces > 0, "
                    "kernel.unprivileged_userns_clone=1), or set SANDBOX_ISOLATION=rlimits to "
                    "evaluate without isolation")
            if problem:
                logger.warning("bubblewrap sandbox unavailable (%s); falling back to rlimits "
                               "only: untrusted code can read files and use the network",
                               problem)
            else:
                self.isolation = "bubblewrap"
                self._zygotes = [probe] + [ZygoteProcess(python, "bubblewrap", memory_bytes)
                                           for _ in range(zygotes - 1)]
        if self.isolation == "rlimits":
            self._zygotes = [ZygoteProcess(python, "rlimits", memory_bytes)]
        self._turn = itertools.cycle(self._zygotes)
        try:
            for zygote in self._zygotes:
                if zygote.process is None:
                    zygote.start()
        except BaseException:
            self.close()
            raise
        # "cgroup": memory and processes are bounded for the whole sandbox; "per-process":
        # only by each process's rlimits (no cgroup could be made here).
        self.resource_limits = "cgroup" if all(
            zygote.resource_limits == "cgroup" for zygote in self._zygotes) else "per-process"

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, program: str, entry_point: str, args: bytes, timeout: float) -> RunResult:
        """Runs `program`'s module code, then `entry_point(*pickle.loads(args))`, in a fresh
        child, both within `timeout`."""
        return self.run_calls(program, entry_point, [(args, timeout)])[0]

    def run_calls(self, program: str, entry_point: str, calls: list[tuple[bytes, float]],
                  stop_after: float | None = None) -> list[RunResult]:
        """Runs `program` once in a fresh child, then `entry_point(*pickle.loads(args))` for
        each `(args, timeout)` of `calls` in turn, in that same child.

        One result per call made: the calls stop after the first that is not OK, and after
        the first whose module code and call took longer than `stop_after` by the zygote's
        clock. Each call runs the program's module code afresh, in a fresh scope (as ENAMEL
        does), within its timeout; what the process holds (builtins, imported modules) is
        shared by the calls, and nothing outlives the run.
        """
        if not calls:
            raise ValueError("a run needs at least one call")
        zygote = next(self._turn)
        try:
            try:
                return zygote.run(program, entry_point, calls, stop_after)
            except RunNotTaken as exc:
                # The zygote failed between runs, whatever the last run did to it: this run
                # was not made, and goes to a fresh zygote.
                if zygote.stop() == RETIRED_EXIT_CODE:
                    logger.warning("a run changed the sandbox's scheduling or limits; "
                                   "zygote replaced")
                else:
                    logger.warning("a zygote failed between runs (%s); replaced", exc)
            return zygote.run(program, entry_point, calls, stop_after)
        except SandboxLost as exc:
            zygote.stop()
            return [RunResult(RunStatus.KILLED, error=one_line(f"SandboxLost: {exc}"))]

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The zygotes' processes (bwrap's, under bubblewrap) that are running."""
        return [zygote.process for zygote in self._zygotes if zygote.process is not None]

    def close(self) -> None:
        for zygote in self._zygotes:
            zygote.stop()


def bubblewrap_problem(zygote: ZygoteProcess) -> str:
    """Why bubblewrap cannot be used here, or "" once a trivial run passed inside `zygote`
    (which is left running, or stopped if it failed)."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed"
    try:
        [probe] = zygote.run("def probe(a):\n    return a + 1\n", "probe",
                             [(pickle.dumps((1,), protocol=5), 5.0)], None)
    except (OSError, SandboxLost) as exc:
        zygote.stop()
        return f"self-test failed: {exc}"
    if probe.status != RunStatus.OK or probe.output != 2:
        zygote.stop()
        return f"self-test failed: {probe.status} {probe.error}"
    return ""
