"""The warm parent that runs inside the sandbox and forks one fresh child per run.

Started as a script (`python -I -S -B zygote.py`); stdlib only. The worker imports the wire
protocol from here (frames, messages, limits, statuses), so both sides share one definition:
importing this module only defines things, main() runs only as a script.
It never runs untrusted code itself: every program runs in a child forked from this
already-warm interpreter, so each run starts from the same clean state in about a
millisecond instead of a new interpreter's fifty.

Protocol on stdin/stdout with the worker: a message is two length-prefixed frames, a JSON
header and a binary blob (often empty); a frame is an 8-byte big-endian length, then data.

    worker -> zygote  {"op": "config", ...}                  once, first
    zygote -> worker  {"event": "hello"}
    then, for each run:
    zygote -> worker  {"event": "ready"}                     the last run is wholly gone
    worker -> zygote  {"op": "run", program, entry_point, timeouts, stop_after}
                      + one frame per call, each a pickled argument tuple (held here until
                      the child is "ready" for it)
    zygote -> worker  {"event": "result", calls: [{status, wall_seconds, cpu_seconds,
                      module_seconds, error}, ...], peak_memory}
                      + one frame per call made: what the child sent less its status code
                      (its clock's figure, then a pickled output or an error's text), or
                      nothing when the zygote decided the call's end (timeout, death)

Between the zygote and the child of a run, on the child's input and result pipes; each of the
child's messages is one frame: a status code and a time by its own clock (RESULT_HEAD), then
the pickled output or the error's text.

    zygote -> child   {program, entry_point}, once              nothing about limits
    child -> zygote   READY                                     the program's imports done
    then, for each call in turn:
    zygote -> child   an empty frame (RUN_MODULE)               our clock starts
    child -> zygote   READY                                     the module code ran afresh
    zygote -> child   the call's argument frame                 our clock starts again
    child -> zygote   OK, its time, pickled output              our clock stops
                      (or ERROR / MEMORY, 0, the error's text)

Before its first call the child imports, untimed (see IMPORT_SECONDS), the modules the
program's code names in import statements, its functions' included: ENAMEL's long-lived process
imports a module once and finds it in sys.modules ever after, where a fresh child would pay
for it in every run (doctest: 15-20 ms, past T on most problems). What fails to import here
fails again, timed, where the program imports it.

Each call is as ENAMEL makes it: the program's module code runs in a fresh scope (ENAMEL's:
`time` given, `print` and `input` None), then the function is called; the module code is
untimed but under the call's deadline, and the call's input is sent only once the module code
is done. A run's calls (the engine's one repetition of a level's tests) share the child, and
so what the process holds (builtins, imported modules), but each call's input is sent only
once the previous call's result is in, and the next run gets a fresh child. The calls stop
at the first that fails, runs out of time, or takes longer than `stop_after` (module code and
call, by our clock); the worker then decides whether the calls left get a child of their own.

The child's own clock is the child's: the program can reach and replace anything in its
process, this module's functions included. Its figure only ever refines ours, within bounds
the worker sets (evaluation.engine.charged_time). Nothing the child can read holds the run's
limits: they stay in the request, which lives only in the zygote's frame of that run.

The child of the next run is forked, and sets itself up (limits, descriptors, then a made-up
call, see WARM_UP_PROGRAM), as soon as every process of the last run has been killed, before
its request arrives, so neither fork nor setup is on the path from request to result. While
it sets up, the last run's processes are reaped (the kernel frees their memory as they exit,
which must not overlap a timed call) and its files and SysV objects removed, all before the
new child's request is read (files that take over CLEANUP_SECONDS to remove retire us
instead, see RETIRED_EXIT_CODE). A killed process runs no more of its own code, so the new
child never meets one at work. A child that sent its last result waits to be killed: its
peak memory is read while it is alive, the result goes to the worker, and only then is the
child killed, while the worker digests the result.

Each child compiles its own program; we keep no program, compiled or not, between runs: a
child inherits all we hold when it is forked, before its request, so a program kept for later
runs would be another run's (another submission's) code, readable by whatever runs next, and
its constants (folded up to 4 KiB each: some 60 MB from 256 KiB of source) memory that every
later child would carry, against its own limit and in its recorded peak.

Children also inherit our priority, scheduling policy, CPU affinity and resource limits,
which a run's code may change from outside (it has our uid). Before each fork we compare them
with what they were at start; if they changed we exit with RETIRED_EXIT_CODE, and the worker
gives the next run to a fresh zygote.

Freed memory keeps its bytes, and every child inherits the zygote's: a sample run right after
the reference on the same input could find that input, or the reference's answer, in it. So
argument and output bytes, and every byte a child sent, only ever live here in bytearrays the
zygote reads into and writes from directly, and zeroes before the next child is forked; of a
child's message only the status code is read. What the zygote itself makes of a run (its
times, peak memory and exit status, as numbers in its heap) is not wiped: a run can steer
these figures, and so, in principle, leave a few bits of them for a later run to find.
"""

import ctypes
import enum
import fcntl
import gc
import importlib
import json
import opcode
import os
import pickle
import resource
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from types import CodeType
from typing import Any, NamedTuple

# Imported before any fork, so children start with the modules samples commonly use.
WARM_MODULES = (
    "bisect", "collections", "copy", "decimal", "fractions", "functools", "hashlib", "heapq",
    "itertools", "math", "operator", "random", "re", "statistics", "string", "typing",
)

# Run by every child before its request, like a typical call: the pages that interpreter
# paths, common types and small allocations write to are copied (copy-on-write) here rather
# than inside the timed call. ENAMEL times calls in a long-lived, warm process; a fresh child
# pays a few microseconds per page it writes first, which dominates microsecond calls.
WARM_UP_PROGRAM = """
def warm_up(numbers, text):
    squares = [n * n for n in numbers]
    words = sorted(text.split(), key=len)
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    prefixes = [text[:i] for i in range(0, len(text), 3)]
    digits = bin(sum(int(c) for c in str(abs(-len(text)))))[2:]
    pairs = {(n, n % 7) for n in numbers if n % 2 == 0}
    big = 7 ** 120 + sum(squares)
    decimal = str(big).translate({48: None, 50: None}).replace("1", "9")
    parts = "-".join(reversed(text.title().split())).lower().count("o"), text.find("lazy")
    flags = [c.isalpha() or c.isdigit() or c.isspace() for c in decimal + text[:40]]
    merged = set(numbers[::2]) | set(numbers[1::3]), set(words) & set(text.upper().split())
    folded = max(numbers), min(words), any(flags), all(flags), list(zip(words, enumerate(numbers)))
    scaled = [round(n / 7, 2) for n in numbers[:50]], divmod(big, 10 ** 9), pow(3, big, 97)
    stacked = sorted(numbers, reverse=True)[:5] + numbers[-3:], int(decimal[:30]) // 3
    return (sum(squares) / 3, counts, digits, len(prefixes), sorted(pairs)[:3],
            words[-1].upper(), parts, merged, folded, scaled, stacked)
"""
WARM_UP_CODE = compile(WARM_UP_PROGRAM, "<warm-up>", "exec")
WARM_UP_ARGS = pickle.dumps((list(range(150)), "the quick brown fox jumps over the lazy dog " * 8))

FRAME_LENGTH = struct.Struct(">Q")
# Pipes this large carry most inputs and outputs in one write, not in 64 KiB turns, each of
# which wakes the other side (tens of microseconds when it has to wake another CPU).
PIPE_BYTES = 1024**2
INBOX_BYTES = 64 * 1024
MAX_OUTPUT_BYTES = 64 * 1024**2
# Grace after a deadline for a result that is already on its way, and for reaping.
DEADLINE_MARGIN_SECONDS = 0.05
# The most a child may take to import its program's modules (see import_ahead); it stops
# importing ahead after IMPORT_BUDGET_SECONDS (a dozen heavy modules), leaving the rest to the
# program, so that only a child held up from outside meets the deadline.
IMPORT_SECONDS = 0.5
IMPORT_BUDGET_SECONDS = 0.25
IMPORTS_AHEAD = 64
IMPORT_NAME = opcode.opmap["IMPORT_NAME"]
EXTENDED_ARG = opcode.EXTENDED_ARG
# The most removing a run's files may take: past it we retire instead (the worker's watchdog
# counts it against the next run, see WATCHDOG_MARGIN_SECONDS in sandbox.py).
CLEANUP_SECONDS = 1.0
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
CHILD_INPUT_FD = 3
CHILD_RESULT_FD = 4
# A child's message is one frame: a status code and the call's time by the child's own clock
# (RESULT_HEAD), then the pickled output, or the error's text. The zygote parses nothing of it
# but the status code, so that none of the child's bytes outlive the run in our heap; the
# worker gets the rest, which starts with CALL_SECONDS.
# enum costs no import here: signal and re load it anyway.


class ChildCode(enum.IntEnum):
    """What a child's message starts with: it ran the module code, or how the call ended."""

    READY = 0
    OK = 1
    ERROR = 2
    MEMORY = 3


class RunStatus(enum.StrEnum):
    """How a call ended, as the worker gets it in a result's header (and stores it)."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    KILLED = "killed"


CHILD_STATUSES: dict[int, RunStatus] = {
    ChildCode.OK: RunStatus.OK,
    ChildCode.ERROR: RunStatus.ERROR,
    ChildCode.MEMORY: RunStatus.MEMORY,
}
CALL_SECONDS = struct.Struct(">d")
RESULT_HEAD = struct.Struct(">B" + CALL_SECONDS.format.lstrip(">"))
# Sent before each call's arguments: the program's module code runs in a fresh scope.
RUN_MODULE = FRAME_LENGTH.pack(0)
READY_CODE = bytes([ChildCode.READY])
# We exit with this when a run changed what our children inherit (see inherited_settings):
# the worker then starts a fresh zygote for the next run.
RETIRED_EXIT_CODE = 75
RESOURCE_LIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
ERROR_CHARS = 200
PROC_FILE_MAX_BYTES = 64 * 1024  # /proc/PID/status, the largest we read, is a few KiB

CPUCLOCK_SCHED = 2  # with a PID in the clock id: the process's CPU time (linux/posix-timers.h)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36

# ioprio_get(IOPRIO_WHO_PROCESS, 0): our I/O priority, which children inherit. The call has
# no wrapper in Python; its number depends on the architecture (unknown ones go unchecked).
IOPRIO_GET_SYSCALL = {"x86_64": 252, "aarch64": 31}.get(os.uname().machine)
IOPRIO_WHO_PROCESS = 1

# After a run whose buffers held more than this, the heap's free pages go back to the system
# (malloc_trim) before the next fork: glibc keeps large freed buffers in the heap once it has
# raised its mmap threshold, and every child would inherit those resident pages.
TRIM_AFTER_BYTES = 1024**2

IPC_RMID = 0
SHM_INFO, MSG_INFO, SEM_INFO = 14, 12, 19
SYSV_INFO_BYTES = 256  # larger than struct shm_info, msginfo and seminfo
SEMINFO_SEMUSZ_OFFSET = 7 * 4  # seminfo.semusz: the number of semaphore sets (with SEM_INFO)

libc = ctypes.CDLL(None, use_errno=True)
SYSV_REMOVERS: dict[str, Callable[[int], int]] = {
    "shm": lambda ipc_id: libc.shmctl(ipc_id, IPC_RMID, None),
    "msg": lambda ipc_id: libc.msgctl(ipc_id, IPC_RMID, None),
    "sem": lambda ipc_id: libc.semctl(ipc_id, 0, IPC_RMID),
}


def process_cpu_seconds(pid: int) -> float | None:
    """The CPU time of process `pid`, all its threads (those that exited too), by the kernel's
    count (its CPUCLOCK_SCHED clock, in ns); None once it is gone.

    Unlike the child's own clock, the child cannot set it back: it is evidence of how much
    work a call did, whatever the harness beside the call reports. Work moved to another
    process is not in it (the wall clock still bounds that)."""
    try:
        return time.clock_gettime((~pid << 3) | CPUCLOCK_SCHED)
    except OSError:
        return None


def prctl(option: int, value: int) -> None:
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


Buffer = bytes | bytearray | memoryview
Header = dict[str, Any]  # a message's JSON header


def frame(data: bytes) -> bytes:
    return FRAME_LENGTH.pack(len(data)) + data


def message(header: Header, blob: bytes = b"") -> bytes:
    return frame(json.dumps(header).encode()) + frame(blob)


def write_all(fd: int, *parts: Buffer) -> None:
    """Writes the parts in order straight from their buffers, never joined into a copy."""
    pending = [memoryview(part) for part in parts]
    while pending:
        pending = advance(pending, os.writev(fd, pending))


def advance(views: list[memoryview], written: int) -> list[memoryview]:
    """What is left of `views` once their first `written` bytes went out."""
    done = 0
    while done < len(views) and written >= views[done].nbytes:
        written -= views[done].nbytes
        done += 1
    rest = views[done:]
    if rest:
        rest[0] = rest[0][written:]
    return rest


def widen_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size, or the uid's pipe budget: keep it
        pass


def read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes:
    (size,) = FRAME_LENGTH.unpack(read_exact(fd, FRAME_LENGTH.size))
    return read_exact(fd, size)


def read_message(fd: int) -> tuple[Header, bytes]:
    return json.loads(read_frame(fd)), read_frame(fd)


def read_into(fd: int, buffer: bytearray) -> None:
    """Fills `buffer` from `fd`: the bytes land there and nowhere else in our memory."""
    view = memoryview(buffer)
    while view:
        size = os.readv(fd, [view])
        if not size:
            raise EOFError("pipe closed")
        view = view[size:]


def wipe(buffer: bytearray, size: int | None = None) -> None:
    """Zeroes `buffer` (its first `size` bytes) in place, so no child forked later finds them.

    Only what was written is zeroed: every page of ours that a write touches after a fork
    costs a copy-on-write fault.
    """
    size = len(buffer) if size is None else min(size, len(buffer))
    if size:
        start = ctypes.c_char.from_buffer(buffer)  # its address, and no resize while we write
        ctypes.memset(ctypes.addressof(start), 0, size)


def sysv_objects_exist() -> bool:
    """Whether this IPC namespace holds any SysV object: three syscalls, no /proc reads.

    The *_INFO commands report how many shared memory segments, queues and semaphore sets
    exist; a failing call counts as "some", so cleanup is never skipped on doubt.
    """
    shm, msg, sem = (ctypes.create_string_buffer(SYSV_INFO_BYTES) for _ in range(3))
    if min(libc.shmctl(0, SHM_INFO, shm), libc.msgctl(0, MSG_INFO, msg),
           libc.semctl(0, 0, SEM_INFO, sem)) < 0:
        return True
    counts = (ctypes.c_int.from_buffer(shm).value, ctypes.c_int.from_buffer(msg).value,
              ctypes.c_int.from_buffer(sem, SEMINFO_SEMUSZ_OFFSET).value)
    return any(counts)


def warm_up() -> None:
    """Goes through a run's motions on a made-up call (see WARM_UP_PROGRAM)."""
    scope = sample_scope()
    exec(WARM_UP_CODE, scope)
    output = scope["warm_up"](*pickle.loads(WARM_UP_ARGS))
    result_frame(ChildCode.OK, 0.5, pickle.dumps(output, 5))


def imported_names(code: CodeType) -> set[str]:
    """The module names in `code`'s import statements, and in those of the functions and
    classes it defines (read from the bytecode: nothing of the program runs)."""
    names: set[str] = set()
    stack = [code]
    while stack:
        code = stack.pop()
        raw, extended = code.co_code, 0
        for index in range(0, len(raw), 2):
            op, argument = raw[index], raw[index + 1] | extended
            extended = argument << 8 if op == EXTENDED_ARG else 0
            if op == IMPORT_NAME:
                names.add(code.co_names[argument])
        stack.extend(const for const in code.co_consts if isinstance(const, CodeType))
    return names


def import_ahead(code: CodeType) -> None:
    """Imports what the program will (see the module docstring), in this child only."""
    stop = time.monotonic() + IMPORT_BUDGET_SECONDS
    for name in sorted(imported_names(code))[:IMPORTS_AHEAD]:
        if time.monotonic() > stop:
            return
        if name and name not in sys.modules:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the program meets it again, timed
                pass


def sample_scope() -> dict[str, Any]:
    """ENAMEL's exec scope: `time` given, `print` and `input` None (calling them fails)."""
    return {"time": time, "input": None, "print": None}


def result_frame(status: ChildCode, call_seconds: float, payload: Buffer = b"") -> list[Buffer]:
    head = RESULT_HEAD.pack(status, call_seconds)
    return [FRAME_LENGTH.pack(len(head) + len(payload)), head, payload]


def inherited_settings() -> tuple[object, ...]:
    """What every child inherits from us and a run could change from outside: a process of
    the same uid may renice us, set our scheduling policy, CPU affinity or I/O priority,
    lower our resource limits, or raise our OOM score (setpriority, sched_setscheduler,
    sched_setaffinity, ioprio_set, prlimit, /proc/PID/oom_score_adj)."""
    return (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0),
            frozenset(os.sched_getaffinity(0)), io_priority(), oom_score_adj(),
            tuple(resource.getrlimit(limit) for limit in RESOURCE_LIMITS))


def io_priority() -> int | None:
    if IOPRIO_GET_SYSCALL is None:
        return None
    priority: int = libc.syscall(IOPRIO_GET_SYSCALL, IOPRIO_WHO_PROCESS, 0)
    return priority


def oom_score_adj() -> bytes | None:
    """None when it cannot be read, e.g. under a file limit a run lowered: not as at start."""
    return read_proc_file("/proc/self/oom_score_adj")


def read_proc_file(path: str) -> bytes | None:
    """A /proc file's content in one read (a few KiB at most); None if it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, PROC_FILE_MAX_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)


def describe(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # a hostile __str__
        text = type(exc).__name__
    return one_line(text)


def one_line(text: str) -> str:
    """An error's text as results carry it: one line of at most ERROR_CHARS."""
    return " ".join(text.split())[:ERROR_CHARS]


# ---------------------------------------------------------------------------- system calls

PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
SOCK_FILTER_BYTES = 8


class SockFprog(ctypes.Structure):
    """struct sock_fprog: a filter program as prctl(PR_SET_SECCOMP) takes it."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SyscallFilter(NamedTuple):
    instructions: ctypes.Array[ctypes.c_char]  # what `program` points to, kept alive with it
    program: SockFprog


# The worker's seccomp filter (evaluation/seccomp.py), made ready once by main(): each child
# then installs it with two system calls. The zygote itself stays unfiltered.
syscall_filter: SyscallFilter | None = None


def load_syscall_filter(program_hex: str | None) -> None:
    global syscall_filter
    if not program_hex:
        return
    program = bytes.fromhex(program_hex)
    if not program or len(program) % SOCK_FILTER_BYTES:
        raise ValueError("malformed seccomp filter")
    instructions = ctypes.create_string_buffer(program, len(program))
    syscall_filter = SyscallFilter(instructions, SockFprog(len(program) // SOCK_FILTER_BYTES,
                                                           ctypes.addressof(instructions)))


def install_syscall_filter() -> None:
    """Puts this process, and all it will fork, under the filter for good. Without
    no_new_privs the kernel lets only a privileged process install one."""
    if syscall_filter is None:
        return
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(syscall_filter.program),
                  0, 0) != 0:
        raise OSError(ctypes.get_errno(), "the seccomp filter was refused")


# ---------------------------------------------------------------------------- the child


def run_child(input_fd: int, result_fd: int, scratch: str, limits: dict[str, int],
              pid_namespace: bool) -> None:
    """Runs in the forked child; never returns, whatever the program does."""
    exit_now, read_now = os._exit, os.read  # bound before the program can replace them
    try:
        serve_child(input_fd, result_fd, scratch, limits, pid_namespace)
        # Alive until the zygote kills us, so that it can read our peak memory.
        read_now(CHILD_INPUT_FD, 1)
    finally:
        exit_now(0)


def serve_child(input_fd: int, result_fd: int, scratch: str, limits: dict[str, int],
                pid_namespace: bool) -> None:
    clock = time.perf_counter  # bound before the program can replace it
    dumps, loads = pickle.dumps, pickle.loads
    try:
        os.setsid()
        if not pid_namespace:  # in bubblewrap's PID namespace the zygote's death kills all
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # Move the two pipes to fixed descriptors, then drop everything else.
        input_fd, result_fd = os.dup(input_fd), os.dup(result_fd)
        os.dup2(input_fd, CHILD_INPUT_FD)
        os.dup2(result_fd, CHILD_RESULT_FD)
        devnull = os.open(os.devnull, os.O_RDWR)
        for std_fd in (0, 1, 2):
            os.dup2(devnull, std_fd)
        os.closerange(CHILD_RESULT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        os.chdir(scratch)
        for name, value in limits.items():
            limit = getattr(resource, name)
            resource.setrlimit(limit, (value, value))
        install_syscall_filter()
        gc.disable()  # as ENAMEL times code
        warm_up()
        # Forked before its run was asked for: wait here for the program (and nothing else:
        # the run's limits are the zygote's business, never in a place the program can read).
        request = json.loads(read_frame(CHILD_INPUT_FD))
        program, entry_point = request["program"], request["entry_point"]
        del request
    except BaseException as exc:
        send_result(ChildCode.ERROR, 0.0, ("SandboxSetup: " + describe(exc)).encode())
        return
    try:
        code = compile(program, "<sample>", "exec")
    except BaseException as exc:
        send_result(*failure(exc))
        return
    import_ahead(code)
    send_result(ChildCode.READY, 0.0)
    # Each call as ENAMEL makes it: the program's module code in a fresh scope (untimed, but
    # under the call's deadline), then the call, timed. The module code runs before the
    # call's input exists in this process: its arguments are sent once "ready" is out.
    args = function = output = blob = None
    while True:
        try:
            if read_frame(CHILD_INPUT_FD):
                raise ValueError("expected the signal to run the module code")
            # The last call's input, output and program state (its module's globals, caches
            # included) are freed here, once the zygote has read the call's CPU time: freeing
            # them is no part of decoding and encoding, which the reference's CPU time outside
            # its calls stands for (engine.ProblemRunner._cpu_floor). One call's input is still
            # alive at a time, as in a child of its own.
            args = function = output = blob = None
            scope = sample_scope()
            exec(code, scope)
            function = scope.get(entry_point)
            if not callable(function):
                raise NameError(f"entry point {entry_point!r} is not a defined function")
            del scope
        except BaseException as exc:
            send_result(*failure(exc))
            return
        send_result(ChildCode.READY, 0.0)
        try:
            args = loads(read_frame(CHILD_INPUT_FD))
            start = clock()
            output = function(*args)
            call_seconds = clock() - start
        except BaseException as exc:
            send_result(*failure(exc))
            return
        try:
            blob = dumps(output, protocol=5)
        except BaseException as exc:
            # Only plain data pickles by value; anything else names a class the worker refuses.
            send_result(*failure(exc, "UnsafeOutput: cannot pickle the output ({})"))
            return
        send_result(ChildCode.OK, call_seconds, blob)


def failure(exc: BaseException, error: str = "{}") -> tuple[ChildCode, float, bytes]:
    """The result for a run that `exc` ended: MEMORY for a MemoryError."""
    if isinstance(exc, MemoryError):
        return ChildCode.MEMORY, 0.0, describe(exc).encode(errors="replace")
    return ChildCode.ERROR, 0.0, error.format(describe(exc)).encode(errors="replace")


def send_result(status: ChildCode, call_seconds: float, payload: bytes = b"") -> None:
    try:
        write_all(CHILD_RESULT_FD, *result_frame(status, call_seconds, payload))
    except MemoryError:
        write_all(CHILD_RESULT_FD,
                  *result_frame(ChildCode.MEMORY, 0.0, b"MemoryError: while sending"))


# ---------------------------------------------------------------------------- the parent


class ChildLink:
    """Reads the child's messages with a deadline; the child is untrusted.

    Bytes are read straight into buffers the zygote wipes after the run: a fixed inbox that
    holds a message's length and what follows it, then a bytearray of the message's size.
    """

    def __init__(self, fd: int, inbox: bytearray, secrets: list[bytearray]) -> None:
        self.fd = fd
        self.inbox = memoryview(inbox)
        self.filled = 0
        self.used = 0  # how much of the inbox was ever written: what needs wiping
        self.secrets = secrets
        self.body: bytearray | None = None  # the message being received
        self.body_view = memoryview(b"")
        self.body_filled = 0
        self.closed = False

    def pump(self) -> None:
        if self.body is None:
            target = self.inbox[self.filled:]
        else:
            target = self.body_view[self.body_filled:]
        try:
            size = os.readv(self.fd, [target])
        except BlockingIOError:
            return
        if not size:
            self.closed = True
        elif self.body is None:
            self.filled += size
            self.used = max(self.used, self.filled)
        else:
            self.body_filled += size

    def take_message(self) -> bytearray | None:
        """A complete message if one has arrived; raises ValueError on a malformed one."""
        if self.body is None and not self.start_body():
            return None
        if self.body_filled < len(self.body_view):
            return None
        body, self.body = self.body, None
        return body

    def start_body(self) -> bool:
        """Parses a message's length in the inbox, if it arrived; the message's bytes read so
        far move to a buffer of its own, where the rest of it will be read."""
        inbox, filled = self.inbox, self.filled
        if filled < FRAME_LENGTH.size:
            return False
        (size,) = FRAME_LENGTH.unpack_from(inbox, 0)
        if size > RESULT_HEAD.size + MAX_OUTPUT_BYTES:
            raise ValueError(f"output larger than {MAX_OUTPUT_BYTES} bytes")
        body = bytearray(size)
        self.secrets.append(body)
        self.body_view = memoryview(body)
        at = FRAME_LENGTH.size
        arrived = min(filled - at, size)
        self.body_view[:arrived] = inbox[at:at + arrived]
        # Anything after the message starts the next one: moved in place, with memmove.
        self.filled = filled - at - arrived
        inbox[:self.filled] = inbox[at + arrived:filled]
        self.body, self.body_filled = body, arrived
        return True


class Child(NamedTuple):
    """A forked child waiting for its run, and our ends of its input and result pipes."""

    pid: int
    input_fd: int
    result_fd: int


class Zygote:
    def __init__(self, config: Header) -> None:
        self.scratch_base = config["scratch_base"]
        self.run_scratch = os.path.join(self.scratch_base, "run")
        self.last_run_scratch = os.path.join(self.scratch_base, "last-run")
        self.pid_namespace = config["pid_namespace"]
        self.limits = config["limits"]
        self.pid = os.getpid()
        # Every buffer that held a run's argument or output bytes, zeroed after the run.
        self.secrets: list[bytearray] = []
        self.inbox = bytearray(INBOX_BYTES)  # a message's length, and what came with it
        self.link: ChildLink | None = None  # the running child's, reading into the inbox
        self.settings = inherited_settings()

    def serve(self) -> bool:
        """Serves runs until the worker closes our input (True), or until a run changed the
        settings our children inherit (False): later runs must not start from them."""
        child = self.spawn_child()
        while True:
            # Nothing of the last run is left to act on us from here on. Its processes could
            # stop or kill us until they were killed, after its result went out: the worker
            # counts the next run from this message, and a zygote that never sends it never
            # took that run, which then goes to a fresh zygote instead of being charged.
            write_all(1, message({"event": "ready"}))
            try:
                request_frame, args = self.read_secret_frame(0), self.read_secret_frame(0)
            except EOFError:
                self.kill_strays()  # the idle child; we exit, so no child sees the args
                return True
            self.serve_run(child, request_frame, args)
            del request_frame, args  # wiped by serve_run, and now freed
            killed = self.kill_run(child)
            if inherited_settings() != self.settings:
                return False
            # Forked before the next request is read, so the child's memory never held its
            # input; after this run's buffers were wiped and its processes killed, so it
            # holds none of its bytes and meets none of its processes at work.
            child = self.spawn_child()
            # The rest of this run goes while the new child sets itself up, and before its
            # program runs: its request is read only after this.
            self.await_gone(killed)
            self.wipe_scratch(keep=self.run_scratch)
            self.wipe_ipc()

    def serve_run(self, child: Child, request_frame: bytearray, args: bytearray) -> None:
        """Runs one request in `child`, sends its result and wipes its bytes. The child is
        killed, and left to kill_run to reap.

        The request (with the run's limits) and the result (with its times) live only in
        this call's frame, which ends before the next child is forked: the next child's
        stack, which it can walk, holds neither.
        """
        alive = True
        request: Header = {}
        blobs: list[Buffer] | None = None
        outputs: list[Buffer] | None = None
        try:
            request = json.loads(request_frame)
            if request.get("op") != "run":
                raise ValueError("unexpected request")
            alive = False  # should run() fail, it has stopped the child itself
            header, blobs, alive = self.run(child, request, args)
            outputs = [part for blob in blobs for part in (FRAME_LENGTH.pack(len(blob)), blob)]
            write_all(1, frame(json.dumps(header).encode()),
                      FRAME_LENGTH.pack(sum(len(part) for part in outputs)), *outputs)
        finally:
            # After the result is sent, so the worker digests it while we clean up.
            if alive:
                kill_child(child)
            wiped = self.wipe_secrets()
            blobs = outputs = None  # wiped, and now freed
            if wiped > TRIM_AFTER_BYTES:
                libc.malloc_trim(0)

    def read_secret_frame(self, fd: int) -> bytearray:
        """A frame read into a buffer of its own, which is wiped after the run."""
        (size,) = FRAME_LENGTH.unpack(read_exact(fd, FRAME_LENGTH.size))
        buffer = bytearray(size)
        self.secrets.append(buffer)
        read_into(fd, buffer)
        return buffer

    def wipe_secrets(self) -> int:
        """Zeroes every buffer the run's argument and output bytes went through; returns
        their total size."""
        wipe(self.inbox, self.link.used if self.link else 0)
        self.link = None
        wiped = 0
        while self.secrets:
            secret = self.secrets.pop()
            wiped += len(secret)
            wipe(secret)
        return wiped

    def spawn_child(self) -> Child:
        self.renew_run_scratch()
        input_read, input_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(input_write)
            os.close(result_read)
            run_child(input_read, result_write, self.run_scratch, self.limits,
                      self.pid_namespace)
        os.close(input_read)
        os.close(result_write)
        for fd in (input_write, result_read):
            widen_pipe(fd)
            os.set_blocking(fd, False)
        return Child(pid, input_write, result_read)

    def run(self, child: Child, request: Header,
            args: bytearray) -> tuple[Header, list[Buffer], bool]:
        """The run's result header and outputs, and whether the child is still to be killed.

        A child still alive (it sent its last result, or ran out of time) is killed once the
        result went out; one that died is reaped here, for its wait status.
        """
        calls: list[Header] = [{"status": None}]
        blobs: list[Buffer] = [b""]
        peak_memory = None
        try:
            calls, blobs = self.supervise(child, request, args)
        finally:
            if calls[-1]["status"] is not None:
                peak_memory = live_peak_memory(child.pid)
            alive = peak_memory is not None
            if not alive:
                wait_status, peak_memory = self.stop_child(child)
        if calls[-1]["status"] is None:
            calls[-1].update(self.death_verdict(wait_status))
        return {"event": "result", "calls": calls, "peak_memory": peak_memory}, blobs, alive

    def supervise(self, child: Child, request: Header,
                  args: bytearray) -> tuple[list[Header], list[Buffer]]:
        """Drives one run's calls one by one; returns a header and an output per call made.

        The output of a call the child answered is its message less the status code: the
        call's time by the child's clock, then the pickled output or the error's text.
        """
        link = self.link = ChildLink(child.result_fd, self.inbox, self.secrets)
        program = {"program": request["program"], "entry_point": request["entry_point"]}
        loaded = self.await_message(link, time.monotonic() + IMPORT_SECONDS, child.input_fd,
                                    frame(json.dumps(program).encode()), input_first=True)
        failed = self.refused_ready(loaded, {"module_seconds": 0.0, "wall_seconds": 0.0,
                                             "cpu_seconds": 0.0},
                                    "Timeout: importing the program's modules")
        if failed is not None:
            return [failed[0]], [failed[1]]
        calls, blobs = [], []
        stop_after = request.get("stop_after")
        for timeout, argument in zip(request["timeouts"], argument_frames(args), strict=True):
            header, blob = self.call(link, child, timeout, argument)
            calls.append(header)
            blobs.append(blob)
            if header["status"] != RunStatus.OK or (
                stop_after is not None
                and header["module_seconds"] + header["wall_seconds"] > stop_after
            ):
                break
        return calls, blobs

    def call(self, link: ChildLink, child: Child, timeout: float,
             argument: memoryview) -> tuple[Header, Buffer]:
        """One call within `timeout`: the module code runs, then the argument frame goes to
        the child, and its result comes back. Both phases are timed here, by our clock, and
        the second by the kernel's count of the child's CPU time too (process_cpu_seconds)."""
        deadline = time.monotonic() + timeout + DEADLINE_MARGIN_SECONDS
        start = time.perf_counter()
        received = self.await_message(link, deadline, child.input_fd, RUN_MODULE,
                                      input_first=True)
        times = {"module_seconds": time.perf_counter() - start, "wall_seconds": 0.0,
                 "cpu_seconds": 0.0}
        failed = self.refused_ready(received, times, "Timeout: the program's module code")
        if failed is not None:
            return failed
        cpu_start = process_cpu_seconds(child.pid)
        start = time.perf_counter()
        received = self.await_message(link, deadline, child.input_fd, argument,
                                      input_first=True)
        times["wall_seconds"] = time.perf_counter() - start
        cpu_end = process_cpu_seconds(child.pid)
        # Unreadable only once the child is gone: counted as busy throughout, as no honest
        # child exits before it is killed.
        times["cpu_seconds"] = times["wall_seconds"] if cpu_start is None or cpu_end is None \
            else cpu_end - cpu_start
        if received is None:
            return {"status": RunStatus.TIMEOUT, "error": "", **times}, b""
        if isinstance(received, dict):
            return {**received, **times}, b""
        return self.checked_result(received, times)

    def refused_ready(self, received: bytearray | Header | None, times: dict[str, float],
                      timeout_error: str) -> tuple[Header, Buffer] | None:
        """None when the child said READY; else the call's header and output: it ran out of
        time (`timeout_error`), broke, or failed (its module code, say), or it answered
        before its input, which can only be a guess."""
        if received is None:
            return {"status": RunStatus.TIMEOUT, "error": timeout_error, **times}, b""
        if isinstance(received, dict):
            return {**received, **times}, b""
        if received[:1] == READY_CODE:
            return None
        header, blob = self.checked_result(received, times)
        if header["status"] == RunStatus.OK:
            return {"status": RunStatus.ERROR, "error": "BadResult: a result before its input",
                    **times}, b""
        return header, blob

    @staticmethod
    def await_message(link: ChildLink, deadline: float, write_fd: int, *parts: Buffer,
                      input_first: bool = False) -> bytearray | Header | None:
        """The child's next message, None at the deadline, or a header dict saying what broke.

        While `parts` are being fed to `write_fd`, the child's output is read too, so a child
        that writes before it reads cannot deadlock us. With `input_first`, a message that
        arrives before all of `parts` went out is refused: a call's result cannot precede its
        input, so it would be a guess, or a message meant for a later call.
        """
        pending = [memoryview(part) for part in parts]
        poller = select.poll()
        poller.register(link.fd, select.POLLIN)
        poller.register(write_fd, select.POLLOUT)
        while True:
            try:
                received = link.take_message()
            except ValueError as exc:
                return {"status": RunStatus.ERROR, "error": "BadResult: " + describe(exc)}
            if received is not None and pending and input_first:
                return {"status": RunStatus.ERROR,
                        "error": "BadResult: a message before its input"}
            if received is not None:
                return received
            if link.closed:
                return {"status": None}  # died without a message; the wait status decides
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for fd, events in poller.poll(remaining * 1000):
                if fd == link.fd:
                    link.pump()
                elif events & (select.POLLERR | select.POLLHUP):
                    poller.unregister(write_fd)  # the child closed its input
                else:
                    try:
                        pending = advance(pending, os.writev(write_fd, pending))
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        pending = []
                    if not pending:
                        poller.unregister(write_fd)

    @staticmethod
    def checked_result(body: bytearray, times: dict[str, float]) -> tuple[Header, Buffer]:
        """A call's result header from the child's message, and what goes on to the worker:
        the message less its status code, which alone is read here."""
        status = CHILD_STATUSES.get(body[0]) if len(body) >= RESULT_HEAD.size else None
        if status is None:
            return {"status": RunStatus.ERROR, "error": "BadResult: unexpected message",
                    **times}, b""
        return {"status": status, "error": "", **times}, memoryview(body)[1:]

    @staticmethod
    def death_verdict(wait_status: int) -> Header:
        if os.WIFSIGNALED(wait_status):
            name = signal.Signals(os.WTERMSIG(wait_status)).name
            return {"status": RunStatus.KILLED, "error": f"Killed: signal {name}"}
        code = os.waitstatus_to_exitcode(wait_status)
        return {"status": RunStatus.KILLED,
                "error": f"Killed: exit code {code} without a result"}

    @staticmethod
    def stop_child(child: Child) -> tuple[int, int]:
        """Kills and reaps the child: its wait status and its peak memory in bytes."""
        kill_child(child)
        _, wait_status, usage = os.wait4(child.pid, 0)
        return wait_status, usage.ru_maxrss * 1024

    def kill_run(self, child: Child) -> set[int]:
        """Kills every process of the last run (its child was killed already); returns the
        PIDs still to be reaped (see await_gone).

        Under bubblewrap the PID namespace is ours: every process in it but init and us is
        the run's, and a listing that shows no process not yet killed shows them all (a
        process with SIGKILL pending forks no more). Otherwise orphans are found only as
        their parents are reaped, so kill_strays waits for every one here."""
        if not self.pid_namespace:
            self.kill_strays()
            return set()
        killed = {child.pid}
        while True:
            strays = [pid for pid in self.stray_pids() if pid not in killed]
            if not strays:
                return killed
            for stray in strays:
                try:
                    os.kill(stray, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed.update(strays)

    @staticmethod
    def await_gone(pids: set[int]) -> None:
        """Waits until every process in `pids`, all killed, is gone: a killed process frees
        its memory before it can be reaped, and the kernel freeing gigabytes must not overlap
        the next run's timed calls. A stray becomes our child (we are a subreaper) once its
        parent is reaped."""
        for pid in pids:
            while True:
                try:
                    os.waitpid(pid, 0)
                    break
                except ChildProcessError:
                    if not os.path.exists(f"/proc/{pid}"):
                        break  # reaped already (run() reaps a child that died)
                    time.sleep(0.0005)  # not ours yet: its parent is still exiting

    def kill_strays(self) -> None:
        """Kills every process the last run left, even ones that called setsid, and waits
        until each is gone (see await_gone).

        Under bubblewrap the PID namespace is ours: every process in it but init and us is a
        stray. Otherwise we are a child subreaper, so orphans become our children: when we
        have none left, nothing the child started is alive. Either way a stray is our child,
        or becomes one once its parent, also killed, is gone: waiting for ours waits for all.
        """
        while True:
            children_left = self.reap()
            if not (children_left or self.pid_namespace):
                return  # no /proc walk: outside a namespace it reads every process's stat
            strays = self.stray_pids()
            if not strays:
                return
            for stray in strays:
                try:
                    os.kill(stray, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.waitpid(-1, 0)  # until one of them is gone
            except ChildProcessError:
                time.sleep(0.001)  # none is ours yet: their parents are still exiting

    @staticmethod
    def reap() -> bool:
        """Reaps every child that has exited: whether any child is left."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if not pid:
                return True

    def stray_pids(self) -> list[int]:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        if self.pid_namespace:
            # Our own PID namespace: everyone but bwrap's init and us is the child's.
            return [pid for pid in pids if pid not in (1, self.pid)]
        strays = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                strays.append(pid)
        return strays

    def renew_run_scratch(self) -> None:
        """Gives the next child an empty working directory: the last run's is moved aside
        (one rename; wipe_scratch removes it), or, should that fail, everything is wiped."""
        try:
            os.rename(self.run_scratch, self.last_run_scratch)
        except FileNotFoundError:
            pass  # the first run, or the last one removed its directory
        except OSError:  # e.g. the run made "last-run" a file or a directory with files
            self.wipe_scratch()
        try:
            os.mkdir(self.run_scratch, 0o700)
        except OSError:
            retire()

    def wipe_scratch(self, keep: str | None = None) -> None:
        """Empties the whole scratch area but `keep`, so no file outlives its run; retires
        should that fail or take over CLEANUP_SECONDS, rather than fail the next run."""
        keep_name = None if keep is None else os.path.basename(keep)
        deadline = time.monotonic() + CLEANUP_SECONDS
        try:
            base_fd = os.open(self.scratch_base, DIRECTORY_FLAGS)
            try:
                for name in os.listdir(base_fd):
                    if name != keep_name:
                        remove_tree(base_fd, name, deadline)
            finally:
                os.close(base_fd)
        except OSError:  # TimeoutError included
            retire()

    def wipe_ipc(self) -> None:
        """Removes SysV shared memory, queues and semaphores: state a run could leave behind.

        Only in bubblewrap's private IPC namespace; under rlimits they would be the host's.
        """
        if not self.pid_namespace or not sysv_objects_exist():
            return
        for kind, remove in SYSV_REMOVERS.items():
            with open(f"/proc/sysvipc/{kind}") as table:
                ids = [int(line.split()[1]) for line in table.readlines()[1:]]
            for ipc_id in ids:
                remove(ipc_id)


def argument_frames(args: bytearray) -> list[memoryview]:
    """The frames `args` holds back to back, each with its length prefix: as the child reads
    them. Raises ValueError unless they fill it exactly."""
    view = memoryview(args)
    return [view[start:end] for start, end in frame_bounds(view)]


def frame_bounds(data: Buffer) -> list[tuple[int, int]]:
    """Where each frame `data` holds back to back starts (at its length prefix) and ends.
    Raises ValueError unless they fill it exactly."""
    bounds, at = [], 0
    while at < len(data):
        if at + FRAME_LENGTH.size > len(data):
            raise ValueError("truncated frame")
        (size,) = FRAME_LENGTH.unpack_from(data, at)
        end = at + FRAME_LENGTH.size + size
        if end > len(data):
            raise ValueError("truncated frame")
        bounds.append((at, end))
        at = end
    return bounds


def kill_child(child: Child) -> None:
    os.close(child.result_fd)
    os.close(child.input_fd)
    for target in (-child.pid, child.pid):  # its process group, even if it left it
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass


def live_peak_memory(pid: int) -> int | None:
    """A live process's peak memory in bytes, from the kernel; None once it has exited."""
    status = read_proc_file(f"/proc/{pid}/status") or b""  # on the path of every result
    at = status.find(b"\nVmHWM:")
    if at < 0:
        return None  # a zombie has no memory left to report
    return int(status[at + 7:status.index(b"kB", at)]) * 1024


def retire() -> None:
    """Exits so that the worker gives the next run to a fresh zygote (see RETIRED_EXIT_CODE)."""
    sys.exit(RETIRED_EXIT_CODE)


def check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError("removing the scratch tree took too long")


def remove_tree(parent_fd: int, name: str, deadline: float) -> None:
    """Removes `name` in directory `parent_fd`, a file or a whole tree, whatever the run made
    of it: deeper than any recursion, with paths past PATH_MAX, with directories we may
    neither read nor search, and symlinks, which are removed and never followed.

    Goes one directory at a time, by descriptor, with one open at a time: down by name, back
    up by "..", which nothing can move, since every process of the run is gone. Raises
    TimeoutError past `deadline`, checked before each entry, a file beside the run's own
    directory included: a run can leave millions of those.
    """
    check_deadline(deadline)
    if unlink_entry(parent_fd, name):
        return
    fd = open_directory(parent_fd, name)
    path = [name]  # the directories we are in, below parent_fd
    pending = [os.listdir(fd)]  # for each, its entries still to remove
    try:
        while True:
            check_deadline(deadline)
            if pending[-1]:
                entry = pending[-1].pop()
                if unlink_entry(fd, entry):
                    continue
                try:
                    inner = open_directory(fd, entry)
                except FileNotFoundError:
                    continue
                os.close(fd)
                fd = inner
                path.append(entry)
                pending.append(os.listdir(fd))
                continue
            pending.pop()
            if not pending:
                break
            outer = os.open("..", DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = outer
            os.rmdir(path.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)


def unlink_entry(dir_fd: int, name: str) -> bool:
    """Removes `name` unless it is a directory: whether it is gone."""
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        return False
    return True


def open_directory(parent_fd: int, name: str) -> int:
    """Opens directory `name` and lets us empty it, whatever mode the run gave it."""
    try:
        fd = os.open(name, DIRECTORY_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        # A directory (unlink said so) that nothing can swap for a link: all is dead.
        os.chmod(name, 0o700, dir_fd=parent_fd)
        fd = os.open(name, DIRECTORY_FLAGS, dir_fd=parent_fd)
    try:
        os.fchmod(fd, 0o700)
    except BaseException:
        os.close(fd)
        raise
    return fd


def main() -> None:
    prctl(PR_SET_DUMPABLE, 0)  # children may not read our memory or /proc/<pid>/fd
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    config, _ = read_message(0)
    zygote = Zygote(config)
    load_syscall_filter(config.get("syscall_filter"))
    zygote.wipe_scratch()
    # Children inherit an empty environment (nothing of the worker's reaches them anyway) and
    # need not pay for clearing it each run.
    os.environ.clear()
    os.environ["TMPDIR"] = zygote.run_scratch
    # Inherited by children: SIGINT kills them, as it would a plain script; resetting it in
    # each child costs more than its whole setup (signal.signal builds enums).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for name in WARM_MODULES:
        importlib.import_module(name)
    warm_up()
    gc.freeze()  # keep the warm heap shared with children instead of copied on first GC
    write_all(1, message({"event": "hello", "pid": zygote.pid}))
    try:
        served = zygote.serve()
    except BaseException:
        if inherited_settings() == zygote.settings:
            raise
        served = False  # e.g. lowered limits broke our cleanup: the run's doing, not ours
    if not served:
        sys.exit(RETIRED_EXIT_CODE)


if __name__ == "__main__":
    main()
