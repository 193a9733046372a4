"""The worker (sandbox.py) and the zygote (zygote.py) speak one protocol, defined in the zygote:
what one side writes, the other reads."""

import os
import pickle
import subprocess
import sys

import pytest

from evaluation import sandbox, zygote


def pipe_through(data: bytes) -> int:
    """A pipe's read end that holds `data` (less than a pipe's buffer), then end of file."""
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as writer:
        writer.write(data)
    return read_fd


def test_importing_the_zygote_runs_nothing():
    # No greeting, no reading of stdin, no exit code: main() runs only as a script.
    done = subprocess.run([sys.executable, "-c", "import evaluation.zygote"], input=b"",
                          capture_output=True, timeout=30, cwd=os.getcwd())
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_the_worker_uses_the_zygotes_definitions():
    for name in ("FRAME_LENGTH", "CALL_SECONDS", "MAX_OUTPUT_BYTES", "RETIRED_EXIT_CODE",
                 "frame", "message", "one_line", "widen_pipe"):
        assert getattr(sandbox, name) is getattr(zygote, name), name


def test_a_request_from_the_worker_is_read_by_the_zygote():
    args = [pickle.dumps((n, "x" * n), protocol=5) for n in (0, 3, 20_000)]
    request = {"op": "run", "program": "def f(n, s):\n    return s\n", "entry_point": "f",
               "timeouts": [1.0, 2.0, 3.0], "stop_after": None}
    fd = pipe_through(sandbox.message(request, b"".join(sandbox.frame(a) for a in args)))
    try:
        header, blob = zygote.read_message(fd)
    finally:
        os.close(fd)
    assert header == request
    frames = zygote.argument_frames(bytearray(blob))
    assert [bytes(f[zygote.FRAME_LENGTH.size:]) for f in frames] == args


def test_a_result_from_the_zygote_is_read_by_the_worker():
    # A child's message as the zygote forwards it: less its status code.
    output = pickle.dumps([1, 2, 3], protocol=5)
    child = b"".join(bytes(part) for part in zygote.result_frame(zygote.ChildCode.OK, 0.25, output))
    sent = bytearray(zygote.read_frame(pipe_through(child)))
    checked, forwarded = zygote.Zygote.checked_result(sent, {"wall_seconds": 0.5,
                                                             "cpu_seconds": 0.375,
                                                             "module_seconds": 0.1})
    calls = [checked, {"status": "timeout", "error": "", "wall_seconds": 2.0,
                       "cpu_seconds": 2.0, "module_seconds": 0.0}]
    blobs = [bytes(forwarded), b""]  # the zygote's own verdict carries nothing
    inbox = bytearray(zygote.message(
        {"event": "result", "calls": calls, "peak_memory": 4096},
        b"".join(zygote.frame(blob) for blob in blobs)))
    header, blob = sandbox.ZygoteProcess._take_message(inbox, sandbox.MAX_OUTPUT_FRAME_BYTES)
    assert inbox == b""
    first, second = sandbox.ZygoteProcess._results(header, blob, sent=2)
    assert (first.status, first.call_seconds, first.cpu_seconds, first.output,
            first.peak_memory) == (sandbox.RunStatus.OK, 0.25, 0.375, [1, 2, 3], 4096)
    assert (second.status, second.wall_seconds) == (sandbox.RunStatus.TIMEOUT, 2.0)
    assert type(second.status) is sandbox.RunStatus  # decoded from JSON's plain string


def test_a_truncated_frame_is_refused_on_both_sides():
    whole = zygote.frame(b"abc") + zygote.frame(b"")
    assert sandbox.split_frames(whole) == [b"abc", b""]
    with pytest.raises(sandbox.SandboxLost):
        sandbox.split_frames(whole[:-1])
    with pytest.raises(ValueError):
        zygote.argument_frames(bytearray(whole[:5]))
