"""The sandbox's ordinary behaviour, under bubblewrap and under the rlimits fallback."""

import errno
import logging
import os
import pickle
import shutil
import time

import pytest

from evaluation import sandbox as sandbox_module
from evaluation.sandbox import Sandbox, UnsafeOutput, decode_output
from tests.test_sandbox_hostile import SYSCALL_PROBE, SYSCALLS, needs_syscall_table

HAS_BWRAP = shutil.which("bwrap") is not None


# Under bubblewrap, two zygotes taking turns; the default of one is in test_sandbox_hostile.py.
@pytest.fixture(scope="module", params=["bubblewrap", "rlimits"])
def sandbox(request):
    if request.param == "bubblewrap" and not HAS_BWRAP:
        pytest.skip("bwrap is not installed")
    with Sandbox(isolation=request.param, zygotes=2) as box:
        assert box.isolation == request.param
        yield box


def run(box: Sandbox, program: str, *args: object, entry_point: str = "f",
        timeout: float = 5.0):
    return box.run(program, entry_point, pickle.dumps(args, protocol=5), timeout)


def assert_same_with_types(actual: object, expected: object) -> None:
    assert type(actual) is type(expected)
    assert actual == expected
    if isinstance(expected, dict):
        for key in expected:
            assert_same_with_types(actual[key], expected[key])
    elif isinstance(expected, list | tuple):
        for actual_item, expected_item in zip(actual, expected, strict=True):
            assert_same_with_types(actual_item, expected_item)


def test_plain_run_returns_the_output(sandbox):
    result = run(sandbox, "def add(a, b):\n    return a + b\n", 2, 3, entry_point="add")
    assert result.status == "ok", result
    assert result.output == 5
    assert result.error == ""
    assert 0 < result.call_seconds <= result.wall_seconds
    assert result.peak_memory > 1024 * 1024


def test_plain_data_round_trips_with_exact_types(sandbox):
    value = {
        "int": 12345678901234567890, "str": "héllo", "float": 1.5, "none": None, "bool": True,
        "bytes": b"\x00\xff", "list": [1, [2, "3"]], "tuple": (1, ("a", 2.0)),
        "set": {1, 2, 3}, "frozenset": frozenset({"x"}), 7: {(1, 2): [3]},
    }
    result = run(sandbox, "def echo(value):\n    return value\n", value, entry_point="echo")
    assert result.status == "ok", result
    assert_same_with_types(result.output, value)


def test_an_exception_is_an_error_with_its_type_and_message(sandbox):
    result = run(sandbox, "def f():\n    raise ValueError('bad\\ninput ' * 100)\n")
    assert result.status == "error"
    assert result.error.startswith("ValueError: bad input")
    assert "\n" not in result.error and len(result.error) <= 200
    assert result.output is None


@pytest.mark.parametrize(("program", "expected"), [
    ("def f(:\n", "SyntaxError"),
    ("def g():\n    return 1\n", "NameError"),
    ("f = 3\n", "NameError"),
    ("raise KeyError('at import')\n", "KeyError"),
    ("def f():\n    return f()\n", "RecursionError"),
])
def test_broken_programs_are_errors(sandbox, program, expected):
    result = run(sandbox, program)
    assert result.status == "error"
    assert result.error.startswith(expected + ":"), result.error


def test_a_sleep_times_out_at_about_the_timeout(sandbox):
    started = time.monotonic()
    result = run(sandbox, "import time\ndef f():\n    time.sleep(60)\n", timeout=0.5)
    elapsed = time.monotonic() - started
    assert result.status == "timeout"
    assert result.output is None
    assert result.wall_seconds >= 0.5
    assert elapsed < 10  # not the sample's 60 s


def test_a_busy_loop_times_out(sandbox):
    result = run(sandbox, "def f():\n    while True:\n        pass\n", timeout=0.3)
    assert result.status == "timeout"
    assert result.wall_seconds >= 0.3


def test_endless_module_code_times_out(sandbox):
    started = time.monotonic()
    result = run(sandbox, "while True:\n    pass\ndef f():\n    return 1\n", timeout=0.1)
    assert result.status == "timeout"
    assert time.monotonic() - started < 15


def test_module_state_does_not_carry_over(sandbox):
    program = (
        "import builtins, sys, math\n"
        "counter = 0\n"
        "def f():\n"
        "    global counter\n"
        "    counter += 1\n"
        "    builtins.seen = getattr(builtins, 'seen', 0) + 1\n"
        "    math.pi = 3\n"
        "    sys.modules.setdefault('memo', [])\n"
        "    return counter, builtins.seen, 'memo' in sys.modules\n"
    )
    first = run(sandbox, program)
    second = run(sandbox, "import math, sys\ndef f():\n    return math.pi, 'memo' in sys.modules\n")
    third = run(sandbox, program)
    assert first.output == (1, 1, True)
    assert second.output == (pytest.approx(3.141592653589793), False)
    assert third.output == (1, 1, True)


def test_files_do_not_outlive_their_run(sandbox):
    writer = (
        "import os\n"
        "def f():\n"
        "    with open('answer.txt', 'w') as out:\n"
        "        out.write('42')\n"
        "    os.mkdir('locked')\n"
        "    os.chmod('locked', 0)\n"
        "    return os.path.abspath('answer.txt')\n"
    )
    first = run(sandbox, writer)
    assert first.status == "ok", first
    reader = "import os\ndef f(path):\n    return os.listdir('.'), os.path.exists(path)\n"
    second = run(sandbox, reader, first.output)
    assert second.status == "ok", second
    assert second.output == ([], False)


# Beside their working directory too, under the name the zygote moves the last run's
# directory to (making that move fail), or with the working directory itself moved away.
SCRATCH_LITTERERS = {
    "fills the name the last run's directory goes to": (
        "import os\n"
        "def f():\n"
        "    parent = os.path.dirname(os.getcwd())\n"
        "    os.makedirs(os.path.join(parent, 'last-run', 'inside'))\n"
        "    open('answer.txt', 'w').write('42')\n"
        "    return sorted(os.listdir(parent))\n"
    ),
    "moves its working directory away": (
        "import os\n"
        "def f():\n"
        "    here = os.getcwd()\n"
        "    parent = os.path.dirname(here)\n"
        "    open('answer.txt', 'w').write('42')\n"
        "    open(os.path.join(parent, 'note.txt'), 'w').write('42')\n"
        "    os.rename(here, os.path.join(parent, 'moved'))\n"
        "    return sorted(os.listdir(parent))\n"
    ),
}


@pytest.mark.parametrize("litterer", SCRATCH_LITTERERS, ids=list(SCRATCH_LITTERERS))
def test_the_next_run_starts_in_an_empty_scratch_area(sandbox, litterer):
    # Two litter runs, then two readers: with zygotes taking turns, each zygote serves one
    # reader right after one litter run.
    for _ in range(2):
        littered = run(sandbox, SCRATCH_LITTERERS[litterer])
        assert littered.status == "ok", littered
        assert len(littered.output) > 1
    reader = (
        "import os\n"
        "def f():\n"
        "    here = os.getcwd()\n"
        "    return os.listdir(here), os.listdir(os.path.dirname(here)), os.path.basename(here)\n"
    )
    for _ in range(2):
        result = run(sandbox, reader)
        assert result.status == "ok", result
        entries, beside, name = result.output
        assert entries == []
        assert beside == [name]


def test_raising_the_zygotes_oom_score_does_not_reach_later_runs(sandbox):
    reader = "def f():\n    return open('/proc/self/oom_score_adj').read()\n"
    before = run(sandbox, reader)
    assert before.status == "ok", before
    raiser = (
        "import os\n"
        "def f():\n"
        "    try:\n"
        "        with open(f'/proc/{os.getppid()}/oom_score_adj', 'w') as score:\n"
        "            score.write('1000')\n"
        "    except OSError:\n"
        "        return False\n"
        "    return True\n"
    )
    raised = run(sandbox, raiser)
    assert raised.status == "ok", raised
    if sandbox.isolation == "bubblewrap":
        assert raised.output is False  # the zygote is not dumpable: its /proc files are root's
    for _ in range(2):  # the next run of each zygote
        after = run(sandbox, reader)
        assert after.status == "ok", after
        assert after.output == before.output


def test_many_runs_reuse_the_same_zygotes(sandbox):
    # A parent is told apart by its PID namespace too: each zygote under bubblewrap has its own.
    program = (
        "import os\n"
        "def f(i):\n"
        "    return i, (os.readlink('/proc/self/ns/pid'), os.getppid()), os.getpid()\n"
    )
    results = [run(sandbox, program, i) for i in range(40)]
    assert [result.status for result in results] == ["ok"] * 40
    assert [result.output[0] for result in results] == list(range(40))
    parents = [result.output[1] for result in results]
    if sandbox.isolation == "bubblewrap":  # two warm parents, taking turns (one under rlimits)
        assert len(set(parents)) == 2
        assert parents[0::2] == [parents[0]] * 20 and parents[1::2] == [parents[1]] * 20
    else:
        assert len(set(parents)) == 1
    assert len({result.output[2] for result in results}) > 2  # fresh children


PARENT = "import os\ndef f():\n    return os.readlink('/proc/self/ns/pid'), os.getppid()\n"


@pytest.mark.skipif(not HAS_BWRAP, reason="bwrap is not installed")
def test_one_zygote_is_the_default():
    with Sandbox(isolation="bubblewrap") as box:
        assert len({run(box, PARENT).output for _ in range(6)}) == 1
        assert len(box.processes) == 1


def test_a_sandbox_without_zygotes_is_refused():
    with pytest.raises(ValueError, match="at least one zygote"):
        Sandbox(zygotes=0)


def test_the_working_directory_is_an_empty_scratch_dir(sandbox):
    result = run(sandbox, "import os\ndef f():\n    return os.getcwd(), os.listdir('.')\n")
    assert result.status == "ok", result
    cwd, entries = result.output
    assert entries == []
    assert "/work" not in cwd


def test_a_large_input_and_output_arrive_whole(sandbox):
    data = bytes(range(256)) * 8192  # 2 MB: many pipe buffers each way
    result = run(sandbox, "def f(data):\n    return data[::-1], len(data)\n", data)
    assert result.status == "ok", result
    assert result.output == (data[::-1], len(data))


def test_the_input_is_not_sent_before_module_code_ends(sandbox):
    program = (
        "import select\n"
        "early = bool(select.select([3], [], [], 0.05)[0])  # the child's input pipe\n"
        "def f(data):\n"
        "    return early, data\n"
    )
    result = run(sandbox, program, "needle")
    assert result.status == "ok", result
    assert result.output == (False, "needle")


def test_sigint_kills_the_child_as_it_would_a_script(sandbox):
    result = run(sandbox, "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGINT)\n")
    assert result.status == "killed"
    assert "SIGINT" in result.error
    assert run(sandbox, "def f():\n    return 1\n").output == 1


def test_the_input_does_not_exist_while_module_code_runs(sandbox):
    program = (
        "import gc\n"
        "seen = any(isinstance(o, list) and o[:1] == ['needle-7781'] for o in gc.get_objects())\n"
        "def f(data):\n"
        "    return seen, data[0]\n"
    )
    result = run(sandbox, program, ["needle-7781", 1])
    assert result.status == "ok", result
    assert result.output == (False, "needle-7781")


def run_calls(box: Sandbox, program: str, *calls: tuple, timeout: float = 5.0,
              stop_after: float | None = None):
    return box.run_calls(program, "f", [(pickle.dumps(args, protocol=5), timeout)
                                        for args in calls], stop_after)


# A level's repetition is one run whose calls share the child; the next run starts afresh.
COUNTING = (
    "import builtins\n"
    "def f(name):\n"
    "    builtins.calls = getattr(builtins, 'calls', 0) + 1\n"
    "    return builtins.calls, name\n"
)


def test_the_calls_of_a_run_share_its_child_in_order(sandbox):
    results = run_calls(sandbox, COUNTING, ("a",), ("b",), ("c",))
    assert [result.output for result in results] == [(1, "a"), (2, "b"), (3, "c")]
    assert all(0 < result.call_seconds <= result.wall_seconds for result in results)
    again = run_calls(sandbox, COUNTING, ("d",))
    assert [result.output for result in again] == [(1, "d")]


def test_each_call_runs_the_module_code_in_a_fresh_scope_as_enamel_does(sandbox):
    # ENAMEL execs the whole program for every call: module globals start over each time,
    # while what the process holds (builtins, imported modules) stays for the run.
    program = (
        "import builtins\n"
        "builtins.modules_run = getattr(builtins, 'modules_run', 0) + 1\n"
        "memo = {}\n"
        "def f(key):\n"
        "    seen = sorted(memo)\n"
        "    memo[key] = True\n"
        "    return seen, builtins.modules_run\n"
    )
    results = run_calls(sandbox, program, ("a",), ("b",))
    assert [result.output for result in results] == [([], 1), ([], 2)]


def test_deep_recursion_runs_as_under_enamels_stack_limit(sandbox):
    # ENAMEL raises the stack limit to its memory limit; with the usual 8 MiB, recursion this
    # deep through a C function (lru_cache's wrapper) would crash the child.
    program = (
        "import functools, sys\n"
        "sys.setrecursionlimit(1_000_000)\n"
        "@functools.lru_cache(None)\n"
        "def depth(n):\n"
        "    return 0 if n == 0 else depth(n - 1) + 1\n"
        "def f(n):\n"
        "    return depth(n)\n"
    )
    result = run(sandbox, program, 100_000, timeout=20)
    assert result.status == "ok", result
    assert result.output == 100_000


def test_a_calls_input_is_sent_only_once_the_last_result_is_in(sandbox):
    program = (
        "import select\n"
        "def f(data):\n"
        "    early = bool(select.select([3], [], [], 0.05)[0])  # the child's input pipe\n"
        "    return early, data\n"
    )
    results = run_calls(sandbox, program, ("x",), ("y",), ("z",))
    assert [result.output for result in results] == [(False, "x"), (False, "y"), (False, "z")]


@pytest.mark.parametrize(
    ("second", "status"),
    [("raise KeyError(data)", "error"), ("time.sleep(60)", "timeout"),
     ("os._exit(0)", "killed")],
)
def test_the_calls_stop_at_the_first_that_fails(sandbox, second, status):
    program = (
        "import os, time\n"
        "def f(data):\n"
        "    if data == 2:\n"
        f"        {second}\n"
        "    return data\n"
    )
    started = time.monotonic()
    results = run_calls(sandbox, program, (1,), (2,), (3,), timeout=0.5)
    assert [result.status for result in results] == ["ok", status]
    assert results[0].output == 1
    assert time.monotonic() - started < 15


def test_an_output_refused_here_is_refused_when_read_and_keeps_the_zygote(sandbox):
    # A Fraction pickles in the child, by reference to its class, which we refuse to load;
    # outputs are decoded only when read, one at a time as the engine checks them.
    program = "import fractions\ndef f(x):\n    return fractions.Fraction(x)\n"
    zygotes = [process.pid for process in sandbox.processes]
    results = run_calls(sandbox, program, (1,), (2,))
    assert [result.status for result in results] == ["ok", "ok"]
    with pytest.raises(UnsafeOutput, match="fractions"):
        _ = results[0].output
    assert [process.pid for process in sandbox.processes] == zygotes


def test_the_calls_stop_after_one_slower_than_stop_after(sandbox):
    program = "import time\ndef f(seconds):\n    time.sleep(seconds)\n    return seconds\n"
    results = run_calls(sandbox, program, (0,), (0.3,), (0,), stop_after=0.1)
    assert [(result.status, result.output) for result in results] == [("ok", 0), ("ok", 0.3)]
    assert results[1].wall_seconds >= 0.3


# Results the child writes itself, ahead of the input they would answer, are guesses.
@pytest.mark.parametrize(
    "program",
    [
        # in its first call, that call's result and one for the call still to come, in one
        # write, so both are in before the second call's input goes out
        "import json, os, pickle, struct, time\n"
        "def f(x):\n"
        "    frame = lambda data: struct.pack('>Q', len(data)) + data\n"
        "    header = frame(json.dumps({'event': 'result', 'status': 'ok',\n"
        "                               'call_seconds': 1e-9}).encode())\n"
        "    os.write(4, header + frame(pickle.dumps(x)) + header + frame(pickle.dumps(x + 1)))\n"
        "    time.sleep(60)\n",
        # from module code, before any input
        "import json, os, pickle, struct\n"
        "frame = lambda data: struct.pack('>Q', len(data)) + data\n"
        "header = {'event': 'result', 'status': 'ok', 'call_seconds': 1e-9}\n"
        "os.write(4, frame(json.dumps(header).encode()) + frame(pickle.dumps(1)))\n"
        "def f(x):\n"
        "    return x\n",
    ],
    ids=["ahead of the next call", "before any call"],
)
def test_a_result_written_ahead_of_its_input_is_refused(sandbox, program):
    results = run_calls(sandbox, program, (1,), (2,))
    assert results[-1].status == "error" and "BadResult" in results[-1].error
    assert [result.output for result in results[:-1]] in ([], [1])


def test_a_large_run_leaves_no_memory_to_later_children(sandbox):
    trivial = "def f():\n    return 1\n"
    before = max(run(sandbox, trivial).peak_memory for _ in range(2))  # each zygote's child
    data = b"x" * (16 * 1024**2)
    results = run_calls(sandbox, "def f(data):\n    return data\n", (data,), (data,), (data,))
    assert [result.output == data for result in results] == [True] * 3
    after = max(run(sandbox, trivial).peak_memory for _ in range(2))
    assert after < before + 8 * 1024**2


def test_a_run_needs_a_call(sandbox):
    with pytest.raises(ValueError, match="at least one call"):
        sandbox.run_calls("def f():\n    return 1\n", "f", [])


def test_auto_falls_back_to_rlimits_without_bwrap(monkeypatch, caplog):
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING, logger="evaluation.sandbox"):
        with Sandbox(isolation="auto") as box:
            assert box.isolation == "rlimits"
            assert run(box, "def f():\n    return 'fine'\n").output == "fine"
    assert "falling back to rlimits" in caplog.text
    with pytest.raises(RuntimeError, match="bwrap is not installed"):
        Sandbox(isolation="bubblewrap")


@pytest.mark.skipif(not HAS_BWRAP, reason="bwrap is not installed")
def test_auto_uses_bubblewrap_when_it_works():
    with Sandbox() as box:
        assert box.isolation == "bubblewrap"


def test_an_unknown_isolation_is_refused():
    with pytest.raises(ValueError):
        Sandbox(isolation="chroot")


@pytest.mark.parametrize("value", [None, True, -3, 2**100, 1.25, "s", b"b", [1, (2,)],
                                   {"k": {1, 2}}, frozenset({3}), bytearray(b"x")])
def test_decode_output_accepts_plain_data(value):
    assert decode_output(pickle.dumps(value, protocol=5)) == value


@pytest.mark.parametrize("blob", [
    pickle.dumps(1 + 2j, protocol=5),
    pickle.dumps(range(3), protocol=5),
    pickle.dumps(OSError("x"), protocol=5),
    b"not a pickle",
    b"",
    b"cos\nsystem\n(S'true'\ntR.",
    b"(I1\nP0\n.",  # a persistent id
])
def test_decode_output_refuses_anything_else(blob):
    with pytest.raises(UnsafeOutput):
        decode_output(blob)


DENIED_CALLS = SYSCALL_PROBE + "def f(calls):\n    return outcomes(calls)\n"


@needs_syscall_table
def test_denied_system_calls_fail_with_eperm_under_either_isolation(sandbox):
    """The seccomp filter is all that stands between a sample and these calls under rlimits."""
    # Arguments that make each call harmless, or fail for another reason, where it is allowed.
    calls = {
        "execve": (SYSCALLS["execve"], 0, 0, 0),
        "ptrace": (SYSCALLS["ptrace"], 2, "self", 0, 0),  # PEEKDATA: not a tracee
        "io_uring_setup": (SYSCALLS["io_uring_setup"], 0, 0),
        "userfaultfd": (SYSCALLS["userfaultfd"], 1),  # UFFD_USER_MODE_ONLY
        "unshare": (SYSCALLS["unshare"], 0),
        "mq_open": (SYSCALLS["mq_open"], b"effboard-none", os.O_RDONLY, 0, 0),
    }
    result = run(sandbox, DENIED_CALLS, calls)
    assert result.status == "ok", result
    assert result.output == {name: (-1, errno.EPERM) for name in calls}
    assert run(sandbox, "def f():\n    return 1\n").output == 1
