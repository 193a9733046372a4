"""The warm parent that runs inside the sandbox and forks one fresh child per run.

Started as a script (`python -I -S -B zygote.py`), never imported by the worker; stdlib only.
It never runs untrusted code itself: every program runs in a child forked from this
already-warm interpreter, so each run starts from the same clean state in about a
millisecond instead of a new interpreter's fifty.

Protocol on stdin/stdout with the worker: a message is two length-prefixed frames, a JSON
header and a binary blob (often empty); a frame is an 8-byte big-endian length, then data.

    worker -> zygote  {"op": "config", ...}                  once, first
    zygote -> worker  {"event": "hello"}
    worker -> zygote  {"op": "run", program, entry_point, timeouts, setup_timeout, stop_after}
                      + one frame per call, each a pickled argument tuple (held here until
                      the child is "ready")
    zygote -> worker  {"event": "result", calls: [{status, ...}, ...], peak_memory}
                      + one frame per call made, each a pickled output (never unpickled here)

Between the zygote and the child of a run, on the child's input and result pipes:

    zygote -> child   the run request's header frame            the child execs the program
    child -> zygote   {"event": "ready"}                         the module code ran
    then, for each call in turn:
    zygote -> child   the call's argument frame                  the wall clock starts
    child -> zygote   {"event": "result", status, ...} + pickled output

A run's calls (the engine's one repetition of a level's tests) share the child, and so its
module state, but each call's input is sent only once the previous call's result is in, and
the next run gets a fresh child. The calls stop at the first that fails, runs out of time, or
takes longer than `stop_after` (seconds by the child's clock, capped by ours); the worker then
decides whether the calls left get a child of their own. A program that fails before "ready"
sends its "result" instead.

The child of the next run is forked, and sets itself up (limits, descriptors, then a made-up
call, see WARM_UP_PROGRAM), as soon as every process of the last run is killed, before its
request arrives, so neither fork nor setup is on the path from request to result; the last
run's files and SysV objects are removed while it sets up, before its request is read. A
child that sent its last result waits to be killed: its peak memory is read while it is
alive, the result goes to the worker, and only then is the child killed and reaped, while
the worker digests the result.

Programs are compiled here too (compiling runs none of their code) and kept, so that the
children of later runs of the same program inherit the code object instead of compiling it.

Children also inherit our priority, scheduling policy, CPU affinity and resource limits,
which a run's code may change from outside (it has our uid). Before each fork we compare them
with what they were at start; if they changed we exit with RETIRED_EXIT_CODE, and the worker
gives the next run to a fresh zygote.

Freed memory keeps its bytes, and every child inherits the zygote's: a sample run right after
the reference on the same input could find that input, or the reference's answer, in it. So
argument and output bytes only ever live here in bytearrays the zygote reads into and writes
from directly, and zeroes before the next child is forked. Headers are not secret.
"""

import ctypes
import errno
import fcntl
import gc
import importlib
import json
import os
import pickle
import resource
import select
import signal
import struct
import sys
import time
from typing import NamedTuple

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
# Compiled programs kept for the children of later runs; the reference and a sample alternate.
COMPILED_PROGRAMS = 8
COMPILED_PROGRAM_MAX_CHARS = 256 * 1024

FRAME_LENGTH = struct.Struct(">Q")
# Pipes this large carry most inputs and outputs in one write, not in 64 KiB turns, each of
# which wakes the other side (tens of microseconds when it has to wake another CPU).
PIPE_BYTES = 1024**2
MAX_HEADER_BYTES = 64 * 1024
MAX_OUTPUT_BYTES = 64 * 1024**2
# Grace after a deadline for a result that is already on its way, and for reaping.
DEADLINE_MARGIN_SECONDS = 0.05
CHILD_INPUT_FD = 3
CHILD_RESULT_FD = 4
CHILD_STATUSES = ("ok", "error", "memory")
# We exit with this when a run changed what our children inherit (see inherited_settings):
# the worker then starts a fresh zygote for the next run.
RETIRED_EXIT_CODE = 75
RESOURCE_LIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
ERROR_CHARS = 200
PROC_FILE_MAX_BYTES = 64 * 1024  # /proc/PID/status, the largest we read, is a few KiB

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
SYSV_REMOVERS = {
    "shm": lambda ipc_id: libc.shmctl(ipc_id, IPC_RMID, None),
    "msg": lambda ipc_id: libc.msgctl(ipc_id, IPC_RMID, None),
    "sem": lambda ipc_id: libc.semctl(ipc_id, 0, IPC_RMID),
}


def prctl(option: int, value: int) -> None:
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


Buffer = bytes | bytearray | memoryview


def frame(data: bytes) -> bytes:
    return FRAME_LENGTH.pack(len(data)) + data


def message(header: dict, blob: bytes = b"") -> bytes:
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


def read_message(fd: int) -> tuple[dict, bytes]:
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
    scope = {"__name__": "__sample__"}
    exec(WARM_UP_CODE, scope)
    output = scope["warm_up"](*pickle.loads(WARM_UP_ARGS))
    message({"event": "result", "status": "ok", "call_seconds": 0.5}, pickle.dumps(output, 5))


def inherited_settings() -> tuple:
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
    return libc.syscall(IOPRIO_GET_SYSCALL, IOPRIO_WHO_PROCESS, 0)


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
    return " ".join(text.split())[:ERROR_CHARS]


# ---------------------------------------------------------------------------- the child


def run_child(input_fd: int, result_fd: int, scratch: str, limits: dict,
              pid_namespace: bool, programs: dict[str, object]) -> None:
    """Runs in the forked child; never returns, whatever the program does."""
    exit_now, read_now = os._exit, os.read  # bound before the program can replace them
    try:
        serve_child(input_fd, result_fd, scratch, limits, pid_namespace, programs)
        # Alive until the zygote kills us, so that it can read our peak memory.
        read_now(CHILD_INPUT_FD, 1)
    finally:
        exit_now(0)


def serve_child(input_fd: int, result_fd: int, scratch: str, limits: dict,
                pid_namespace: bool, programs: dict[str, object]) -> None:
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
        gc.disable()  # as ENAMEL times code
        warm_up()
        # Forked before its run was asked for: wait here for the program to run.
        request = json.loads(read_frame(CHILD_INPUT_FD))
    except BaseException as exc:
        send_result({"status": "error", "error": "SandboxSetup: " + describe(exc)})
        return
    try:
        scope = {"__name__": "__sample__", "time": time}
        program = request["program"]
        code = programs.get(program) or compile(program, "<sample>", "exec")
        exec(code, scope)
        function = scope.get(request["entry_point"])
        if not callable(function):
            raise NameError(f"entry point {request['entry_point']!r} is not a defined function")
        write_all(CHILD_RESULT_FD, message({"event": "ready"}))
    except BaseException as exc:
        send_result(failure(exc))
        return
    # One call per argument frame, in order, until a call fails or the zygote kills us.
    while True:
        try:
            args = loads(read_frame(CHILD_INPUT_FD))
            start = clock()
            output = function(*args)
            call_seconds = clock() - start
            del args  # one call's input alive at a time, as in a child of its own
        except BaseException as exc:
            send_result(failure(exc))
            return
        try:
            blob = dumps(output, protocol=5)
        except BaseException as exc:
            # Only plain data pickles by value; anything else names a class the worker refuses.
            send_result(failure(exc, "UnsafeOutput: cannot pickle the output ({})"))
            return
        del output  # not kept alive into the next call
        send_result({"status": "ok", "call_seconds": call_seconds}, blob)
        del blob


def failure(exc: BaseException, error: str = "{}") -> dict:
    """The result header for a run that `exc` ended: "memory" for a MemoryError."""
    if isinstance(exc, MemoryError):
        return {"status": "memory", "error": describe(exc)}
    return {"status": "error", "error": error.format(describe(exc))}


def send_result(header: dict, blob: bytes = b"") -> None:
    header["event"] = "result"
    try:
        write_all(CHILD_RESULT_FD, message(header, blob))
    except MemoryError:
        write_all(CHILD_RESULT_FD, message({"event": "result", "status": "memory",
                                            "error": "MemoryError: while sending the result"}))


# ---------------------------------------------------------------------------- the parent


class ChildLink:
    """Reads the child's messages with a deadline; the child is untrusted.

    Bytes are read straight into buffers the zygote wipes after the run: a fixed inbox that
    holds a header frame and the start of its blob, then a bytearray of the blob's size.
    """

    def __init__(self, fd: int, inbox: bytearray, secrets: list[bytearray]) -> None:
        self.fd = fd
        self.inbox = memoryview(inbox)
        self.filled = 0
        self.used = 0  # how much of the inbox was ever written: what needs wiping
        self.secrets = secrets
        self.header: dict = {}
        self.blob: bytearray | None = None  # the blob being received, for self.header
        self.blob_view = memoryview(b"")
        self.blob_filled = 0
        self.closed = False

    def pump(self) -> None:
        if self.blob is None:
            target = self.inbox[self.filled:]
        else:
            target = self.blob_view[self.blob_filled:]
        try:
            size = os.readv(self.fd, [target])
        except BlockingIOError:
            return
        if not size:
            self.closed = True
        elif self.blob is None:
            self.filled += size
            self.used = max(self.used, self.filled)
        else:
            self.blob_filled += size

    def take_message(self) -> tuple[dict, bytearray] | None:
        """A complete message if one has arrived; raises ValueError on a malformed one."""
        if self.blob is None and not self.start_blob():
            return None
        if self.blob_filled < len(self.blob_view):
            return None
        blob, self.blob = self.blob, None
        return self.header, blob

    def start_blob(self) -> bool:
        """Parses the header and blob length in the inbox, if both arrived; the blob's bytes
        read so far move to a buffer of its own, where the rest of it will be read."""
        inbox, filled = self.inbox, self.filled
        if filled < 8:
            return False
        (header_size,) = FRAME_LENGTH.unpack_from(inbox, 0)
        if header_size > MAX_HEADER_BYTES:
            raise ValueError("result header too large")
        blob_at = 8 + header_size + 8
        if filled < blob_at:
            return False
        (blob_size,) = FRAME_LENGTH.unpack_from(inbox, blob_at - 8)
        if blob_size > MAX_OUTPUT_BYTES:
            raise ValueError(f"output larger than {MAX_OUTPUT_BYTES} bytes")
        header = json.loads(bytes(inbox[8:blob_at - 8]))
        if not isinstance(header, dict):
            raise ValueError("result header is not an object")
        blob = bytearray(blob_size)
        self.secrets.append(blob)
        self.blob_view = memoryview(blob)
        arrived = min(filled - blob_at, blob_size)
        self.blob_view[:arrived] = inbox[blob_at:blob_at + arrived]
        # Anything after the blob starts the next message: moved in place, with memmove.
        self.filled = filled - blob_at - arrived
        inbox[:self.filled] = inbox[blob_at + arrived:filled]
        self.header, self.blob, self.blob_filled = header, blob, arrived
        return True


class Child(NamedTuple):
    """A forked child waiting for its run, and our ends of its input and result pipes."""

    pid: int
    input_fd: int
    result_fd: int


class Zygote:
    def __init__(self, config: dict) -> None:
        self.scratch_base = config["scratch_base"]
        self.run_scratch = os.path.join(self.scratch_base, "run")
        self.last_run_scratch = os.path.join(self.scratch_base, "last-run")
        self.pid_namespace = config["pid_namespace"]
        self.limits = config["limits"]
        self.pid = os.getpid()
        # Every buffer that held a run's argument or output bytes, zeroed after the run.
        self.secrets: list[bytearray] = []
        self.inbox = bytearray(8 + MAX_HEADER_BYTES + 8)  # a result's header frame and more
        self.link: ChildLink | None = None  # the running child's, reading into the inbox
        self.programs: dict[str, object] = {}  # program text -> code object, oldest first
        self.dying: set[int] = set()  # children killed but not yet reaped
        self.settings = inherited_settings()

    def serve(self) -> bool:
        """Serves runs until the worker closes our input (True), or until a run changed the
        settings our children inherit (False): later runs must not start from them."""
        child = self.spawn_child()
        while True:
            try:
                request_frame, args = read_frame(0), self.read_secret_frame(0)
            except EOFError:
                self.kill_strays()  # the idle child; we exit, so no child sees the args
                return True
            alive = True
            try:
                request = json.loads(request_frame)
                if request.get("op") != "run":
                    raise ValueError(f"unexpected request {request!r}")
                alive = False  # should run() fail, it has stopped the child itself
                header, blobs, alive = self.run(child, request, request_frame, args)
                outputs = [part for blob in blobs for part in (FRAME_LENGTH.pack(len(blob)), blob)]
                write_all(1, frame(json.dumps(header).encode()),
                          FRAME_LENGTH.pack(sum(len(part) for part in outputs)), *outputs)
            finally:
                # After the result is sent, so the worker digests it while we clean up.
                if alive:
                    self.dismiss(child)
                wiped = self.wipe_secrets()
                args = blobs = outputs = None  # wiped, and now freed
                if wiped > TRIM_AFTER_BYTES:
                    libc.malloc_trim(0)
                self.kill_strays()
            self.remember(request.get("program"))
            if inherited_settings() != self.settings:
                return False
            # Forked before the next request is read, so the child's memory never held its
            # input; after this run's buffers were wiped and its processes killed, so it
            # holds none of its bytes and meets none of its processes.
            child = self.spawn_child()
            # The rest of this run's traces go while the new child sets itself up, and
            # before its program runs: its request is read only after this.
            self.wipe_scratch(keep=self.run_scratch)
            self.wipe_ipc()

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

    def remember(self, program: object) -> None:
        """Compiles `program` for the children of later runs, unless it is already known."""
        if not isinstance(program, str) or len(program) > COMPILED_PROGRAM_MAX_CHARS:
            return
        code = self.programs.pop(program, None)
        if code is None:
            try:
                code = compile(program, "<sample>", "exec")
            except BaseException:  # noqa: BLE001 - the child reports the program's errors
                return
        self.programs[program] = code  # now the newest
        while len(self.programs) > COMPILED_PROGRAMS:
            del self.programs[next(iter(self.programs))]

    def spawn_child(self) -> Child:
        self.renew_run_scratch()
        input_read, input_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(input_write)
            os.close(result_read)
            run_child(input_read, result_write, self.run_scratch, self.limits,
                      self.pid_namespace, self.programs)
        os.close(input_read)
        os.close(result_write)
        for fd in (input_write, result_read):
            widen_pipe(fd)
            os.set_blocking(fd, False)
        return Child(pid, input_write, result_read)

    def run(self, child: Child, request: dict, request_frame: bytes,
            args: bytearray) -> tuple[dict, list[Buffer], bool]:
        """The run's result header and outputs, and whether the child is still to be stopped.

        A child still alive (it sent its last result, or ran out of time) is stopped once the
        result went out; one that died is reaped first, for its wait status.
        """
        calls, blobs, peak_memory = [{"status": None}], [b""], None
        try:
            calls, blobs = self.supervise(child, request_frame, request, args)
        finally:
            if calls[-1]["status"] is not None:
                peak_memory = live_peak_memory(child.pid)
            alive = peak_memory is not None
            if not alive:
                wait_status, peak_memory = self.stop_child(child)
        if calls[-1]["status"] is None:
            calls[-1].update(self.death_verdict(wait_status))
        return {"event": "result", "calls": calls, "peak_memory": peak_memory}, blobs, alive

    def supervise(self, child: Child, request_frame: bytes, request: dict,
                  args: bytearray) -> tuple[list[dict], list[Buffer]]:
        """Drives one run through setup, then its calls one by one; returns a header and an
        output per call made (a failure before the first call counts as the first)."""
        link = self.link = ChildLink(child.result_fd, self.inbox, self.secrets)
        setup_deadline = time.monotonic() + request["setup_timeout"] + DEADLINE_MARGIN_SECONDS
        received = self.await_message(link, setup_deadline, child.input_fd,
                                      frame(request_frame))
        if received is None:
            return [{"status": "timeout", "error": "Timeout: the program's module code"}], [b""]
        if isinstance(received, dict):
            return [received], [b""]
        header, blob = received
        if header.get("event") != "ready":
            header, blob = self.checked_result(header, blob, 0.0)
            if header["status"] == "ok":  # an answer before any input: a guess
                header = {"status": "error", "error": "BadResult: a result before any input"}
            return [header], [b""]
        calls, blobs = [], []
        stop_after = request.get("stop_after")
        for timeout, argument in zip(request["timeouts"], argument_frames(args), strict=True):
            header, blob = self.call(link, child, timeout, argument)
            calls.append(header)
            blobs.append(blob)
            if header["status"] != "ok" or (
                stop_after is not None
                and min(header["call_seconds"], header["wall_seconds"]) > stop_after
            ):
                break
        return calls, blobs

    def call(self, link: ChildLink, child: Child, timeout: float,
             argument: memoryview) -> tuple[dict, Buffer]:
        """One call: its argument frame to the child, its result back within `timeout`."""
        start = time.perf_counter()
        deadline = time.monotonic() + timeout + DEADLINE_MARGIN_SECONDS
        received = self.await_message(link, deadline, child.input_fd, argument,
                                      input_first=True)
        wall_seconds = time.perf_counter() - start
        if received is None:
            return {"status": "timeout", "error": "", "wall_seconds": wall_seconds}, b""
        if isinstance(received, dict):
            received["wall_seconds"] = wall_seconds
            return received, b""
        return self.checked_result(*received, wall_seconds)

    @staticmethod
    def await_message(link: ChildLink, deadline: float, write_fd: int, *parts: Buffer,
                      input_first: bool = False) -> tuple[dict, bytearray] | dict | None:
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
                return {"status": "error", "error": "BadResult: " + describe(exc)}
            if received is not None and pending and input_first:
                return {"status": "error", "error": "BadResult: a message before its input"}
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
    def checked_result(header: dict, blob: bytearray,
                       wall_seconds: float) -> tuple[dict, Buffer]:
        status = header.get("status")
        if header.get("event") != "result" or status not in CHILD_STATUSES:
            return {"status": "error", "error": "BadResult: unexpected message",
                    "wall_seconds": wall_seconds}, b""
        call_seconds = header.get("call_seconds", 0.0)
        if not isinstance(call_seconds, float):
            call_seconds = 0.0
        error = header.get("error", "")
        error = " ".join(error.split())[:ERROR_CHARS] if isinstance(error, str) else ""
        return {"status": status, "call_seconds": call_seconds, "wall_seconds": wall_seconds,
                "error": error}, blob if status == "ok" else b""

    @staticmethod
    def death_verdict(wait_status: int) -> dict:
        if os.WIFSIGNALED(wait_status):
            name = signal.Signals(os.WTERMSIG(wait_status)).name
            return {"status": "killed", "error": f"Killed: signal {name}"}
        code = os.waitstatus_to_exitcode(wait_status)
        return {"status": "killed", "error": f"Killed: exit code {code} without a result"}

    @staticmethod
    def stop_child(child: Child) -> tuple[int, int]:
        """Kills and reaps the child: its wait status and its peak memory in bytes."""
        kill_child(child)
        _, wait_status, usage = os.wait4(child.pid, 0)
        return wait_status, usage.ru_maxrss * 1024

    def dismiss(self, child: Child) -> None:
        """Kills a child whose result is out. Under bubblewrap it is reaped later, while the
        next one runs: once killed it can do nothing, and kill_strays sees all it started."""
        if not self.pid_namespace:
            self.stop_child(child)
            return
        kill_child(child)
        self.dying.add(child.pid)

    def kill_strays(self) -> None:
        """Kills every process the child left behind, even ones that called setsid.

        Under bubblewrap the PID namespace is ours: every process in it but init, us and the
        children already killed is a stray. Otherwise we are a child subreaper, so orphans
        become our children: when we have none left, nothing the child started is alive.
        """
        while True:
            children_left = self.reap()
            if not (children_left or self.pid_namespace):
                return  # no /proc walk: outside a namespace it reads every process's stat
            strays = [pid for pid in self.stray_pids() if pid not in self.dying]
            if not strays and self.pid_namespace:
                return
            for stray in strays:
                try:
                    os.kill(stray, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.001)

    def reap(self) -> bool:
        """Reaps every child that has exited: whether any child is left."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.dying.clear()
                return False
            if not pid:
                return True
            self.dying.discard(pid)

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
        os.mkdir(self.run_scratch, 0o700)

    def wipe_scratch(self, keep: str | None = None) -> None:
        """Empties the whole scratch area but `keep`, so no file outlives its run."""
        for entry in os.scandir(self.scratch_base):
            if entry.path != keep:
                remove_tree(entry.path)

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
    frames, view, at = [], memoryview(args), 0
    while at < len(view):
        if at + FRAME_LENGTH.size > len(view):
            raise ValueError("truncated argument frame")
        (size,) = FRAME_LENGTH.unpack_from(view, at)
        end = at + FRAME_LENGTH.size + size
        if end > len(view):
            raise ValueError("truncated argument frame")
        frames.append(view[at:end])
        at = end
    return frames


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


def remove_tree(path: str) -> None:
    """Removes a file or directory tree, even one the child made unreadable."""
    try:
        os.unlink(path)
        return
    except IsADirectoryError:
        pass
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno != errno.EISDIR:
            raise
    os.chmod(path, 0o700)
    for entry in os.scandir(path):
        remove_tree(entry.path)
    os.rmdir(path)


def main() -> None:
    prctl(PR_SET_DUMPABLE, 0)  # children may not read our memory or /proc/<pid>/fd
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    config, _ = read_message(0)
    zygote = Zygote(config)
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
    sys.exit(main())
