"""The engine end to end on a small problem of our own: real sandbox, real timings."""

import math
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from evaluation import engine, results
from evaluation.cache import CaseCache, ProblemCases
from evaluation.engine import (
    EvaluationError,
    ProblemRunner,
    call_time,
    evaluate_problem,
    reference_answers,
    validate_problem,
)
from evaluation.metrics import hodges_lehmann
from evaluation.results import SampleStatus
from evaluation.sandbox import RunResult, Sandbox
from evaluation.spec import EvalSettings, ProblemSpec
from tests.services import descendants
from tests.sum_squares import FAST, PROMPT, SPEC

SLOWER = PROMPT + (
    "    for _ in range(3):\n        total = sum(x * x for x in xs)\n    return total\n"
)
QUADRATIC = PROMPT + (
    "    total = 0\n"
    "    for x in xs:\n"
    "        total += sum(x * x for _ in range(len(xs) // 100 + 1)) // (len(xs) // 100 + 1)\n"
    "    return total\n"
)
WRONG = PROMPT + "    return sum(xs)\n"
RAISES = PROMPT + "    return {}[1]\n"
# Does the quadratic work but stops every clock it can reach, hoping to look instant.
CLOCK_CHEAT = QUADRATIC + (
    "import time\n"
    "for _name in ('perf_counter', 'perf_counter_ns', 'time', 'monotonic', 'process_time'):\n"
    "    setattr(time, _name, lambda: 0)\n"
)
# Does five times the work, and has the harness (the zygote's module, __main__ in the child)
# claim that every call took a nanosecond.
FORGED_CLOCK = (
    "import sys\n"
    "harness = sys.modules['__main__']\n"
    "send = harness.send_result\n"
    "harness.send_result = lambda status, seconds, *rest: send(status, 1e-9, *rest)\n"
)
FORGER = PROMPT + (
    "    for _ in range(5):\n        total = sum(x * x for x in xs)\n"
    "    return total\n"
) + FORGED_CLOCK

# As fast as the reference on the two smaller levels, eight times slower on the larger ones:
# well past ENAMEL's limit T there (twice the reference's slowest test), yet well before the
# sandbox's kill, so its runs complete.
SLOW_WHEN_LARGE = PROMPT + (
    "    rounds = 8 if len(xs) > 30000 else 1\n"
    "    for _ in range(rounds):\n        total = sum(x * x for x in xs)\n"
    "    return total\n"
)


class RecordingSandbox(Sandbox):
    """A real sandbox that also keeps what each run ran and returned: each call's result in
    `runs`, and in `batches` each run's program with its calls' arguments and results."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[tuple[str, RunResult]] = []
        self.batches: list[tuple[str, list[tuple[bytes, RunResult]]]] = []

    def run_calls(self, program: str, entry_point: str, calls: list[tuple[bytes, float]],
                  stop_after: float | None = None) -> list[RunResult]:
        results = super().run_calls(program, entry_point, calls, stop_after)
        self.runs += [(program, result) for result in results]
        # The calls stop at the first that fails or passes `stop_after`: fewer results.
        made = zip([args for args, _ in calls], results, strict=False)
        self.batches.append((program, list(made)))
        return results


def positions(tests: ProblemCases) -> dict[bytes, tuple[int, int]]:
    """Each test's (level, number), by its argument bytes."""
    return {test.args: (level, number) for level, cases in enumerate(tests.levels)
            for number, test in enumerate(cases.tests)}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> CaseCache:
    return CaseCache(tmp_path_factory.mktemp("tests"))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(memory_bytes=EvalSettings().memory_bytes) as box:
        yield box


@pytest.fixture(scope="module")
def evaluation(cache, sandbox) -> results.ProblemEvaluation:
    codes = [FAST, SLOWER, QUADRATIC, WRONG, RAISES, CLOCK_CHEAT, FORGER]
    return evaluate_problem(SPEC, codes, EvalSettings(), cache, sandbox=sandbox)


def test_statuses(evaluation):
    statuses = [sample.status for sample in evaluation.samples]
    assert statuses[0] == SampleStatus.PASSED
    assert statuses[3:5] == [SampleStatus.WRONG_ANSWER, SampleStatus.ERROR]
    assert evaluation.samples[4].error.startswith("KeyError")
    # fast, slower, the forger, and the two censored ones
    assert evaluation.n == 7 and evaluation.c == 5


def test_efficiency_orders_the_samples(evaluation):
    fast, slower, quadratic = evaluation.samples[:3]
    assert fast.efficiency > 0.6
    assert slower.efficiency < fast.efficiency
    # Right-censored: correct on the small levels, too slow for the large ones.
    assert quadratic.correct and quadratic.status == SampleStatus.TIMEOUT
    assert quadratic.failed_level >= 1 and quadratic.efficiency < fast.efficiency


def test_stopping_the_clocks_does_not_make_a_sample_fast(evaluation):
    quadratic, cheat = evaluation.samples[2], evaluation.samples[5]
    assert cheat.status == SampleStatus.TIMEOUT and cheat.failed_level == quadratic.failed_level
    assert cheat.efficiency < evaluation.samples[0].efficiency


def test_a_forged_result_message_does_not_make_a_sample_fast(evaluation):
    fast, forger = evaluation.samples[0], evaluation.samples[6]
    assert forger.correct
    # Charged what the zygote's wall clock saw, less at most the reference's own overhead on
    # the test: far slower than the sample that does the work once.
    assert forger.efficiency < fast.efficiency
    for level in (1, 2, 3):
        if forger.times[level] is not None and fast.times[level] is not None:
            assert forger.times[level] > 1.5 * fast.times[level]


def test_metrics_and_records(evaluation):
    assert evaluation.pass_at_k[1] == pytest.approx(5 / 7)
    assert evaluation.eff_at_k[1] == pytest.approx(
        sum(s.efficiency for s in evaluation.samples if s.correct) / 7
    )
    assert evaluation.timeout == pytest.approx(2 * max(evaluation.reference_times[1:]))
    for sample in evaluation.samples:
        assert sample.isolation == evaluation.isolation
        assert len(sample.levels) == 4
    assert evaluation.samples[0].peak_memory > 0


def test_tests_are_cached_and_reused(cache, evaluation, sandbox):
    files = sorted(cache.directory.glob("*.tests"))
    assert len(files) == 1
    before = files[0].stat().st_mtime_ns
    again = evaluate_problem(SPEC, [FAST], EvalSettings(), cache, sandbox=sandbox)
    assert again.samples[0].status == SampleStatus.PASSED
    assert files[0].stat().st_mtime_ns == before


def test_a_broken_reference_is_an_evaluation_error(tmp_path, sandbox):
    broken = ProblemSpec(**{**SPEC.__dict__, "reference_solution": "    return xs[10**9]\n"})
    with pytest.raises(EvaluationError, match="reference solution failed"):
        evaluate_problem(broken, [FAST], EvalSettings(), CaseCache(tmp_path), sandbox=sandbox)


def test_validate_accepts_a_sound_problem(cache, sandbox):
    assert validate_problem(SPEC, EvalSettings(), cache, sandbox=sandbox) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("reference_solution", "    return None + 1\n", "reference solution failed"),
        ("checker", "def __check(input, answer, output):\n    return False\n",
         "checker rejects the reference's own answer on level 0 test 0"),
        ("checker", "def __check(input, answer\n", "checker does not load: SyntaxError"),
        ("input_generator", "def generate_input(size, lid, cid):\n    raise ValueError('no')\n",
         "level 0 test 0: ValueError: no"),
    ],
)
def test_validate_reports_what_fails(tmp_path, sandbox, field, value, expected):
    broken = ProblemSpec(**{**SPEC.__dict__, field: value})
    errors = validate_problem(broken, EvalSettings(), CaseCache(tmp_path), sandbox=sandbox)
    assert errors and expected in errors[0]
    assert all("\n" not in error for error in errors)


# No tolerance, so that ENAMEL's limit is T itself, well below SLOW_WHEN_LARGE's larger levels. FAST
# goes first: it completes the reference's repetitions, so T is final when SLOW_WHEN_LARGE runs.
STRICT = EvalSettings(tolerance_seconds=0.0)


def test_a_sample_stops_at_its_first_repetition_past_the_time_limit(cache):
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(SPEC, [FAST, SLOW_WHEN_LARGE], STRICT, cache, sandbox=sandbox)
    sample = evaluation.samples[1]
    assert sample.status == SampleStatus.TIMEOUT and sample.correct and sample.failed_level >= 1
    program = SPEC.sample_program(SLOW_WHEN_LARGE)
    seconds = [call_time(run) for ran, run in sandbox.runs if ran == program and run.status == "ok"]
    past_limit = [number for number, time in enumerate(seconds) if time > evaluation.timeout]
    assert past_limit == [len(seconds) - 1]


def test_a_run_only_the_zygotes_clock_puts_past_the_limit_is_repeated_then_charged(cache,
                                                                                 sandbox):
    # SLOW_WHEN_LARGE claiming a nanosecond a call: its repetition past the limit runs twice
    # more, then the wall time stops it all the same. (A run whose own clock agrees that it
    # is past the limit is not repeated: the test above finds exactly one such run.)
    evaluation = evaluate_problem(SPEC, [SLOW_WHEN_LARGE + FORGED_CLOCK], STRICT, cache,
                                  sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.TIMEOUT and sample.failed_level >= 1
    assert evaluation.repeated_runs >= engine.DISPUTED_RETRIES


# T twenty times the reference's slowest test, and no tolerance: limits of tens of
# milliseconds, which a busy machine's noise does not reach, and nothing but T in them.
WIDE = EvalSettings(timeout_factor=20.0, tolerance_seconds=0.0)
# FAST, but on level 1 (20,000 numbers) it does the work forty times: past T as level 1's
# reference time alone makes it (twenty times that), within T as the largest level's makes it
# (four times as many numbers).
SLOW_ON_LEVEL_1 = PROMPT + (
    "    rounds = 40 if len(xs) == 20000 else 1\n"
    "    for _ in range(rounds):\n        total = sum(x * x for x in xs)\n"
    "    return total\n"
)


def cache_with_fast_reference(sandbox, spec, settings, tmp_path) -> CaseCache:
    """A test cache whose reference times are a hundred times too short, as if made on a
    faster machine."""
    cache = CaseCache(tmp_path)
    cache.get(spec, settings.seed, lambda blobs: [
        (answer, seconds / 100) for answer, seconds in reference_answers(sandbox, spec, blobs)
    ])
    return cache


def test_a_sample_is_judged_against_the_final_time_limit(sandbox, tmp_path):
    # Tests cached with reference times a hundred times too short (made on a faster machine,
    # say): until the reference's repetitions on the larger levels are in, T is estimated from
    # level 1's, which SLOW_ON_LEVEL_1 is past. It is judged only once the reference's
    # repetitions are complete, against the final T, which it is within.
    low = cache_with_fast_reference(sandbox, SPEC, WIDE, tmp_path)
    evaluation = evaluate_problem(SPEC, [SLOW_ON_LEVEL_1], WIDE, low, sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.PASSED and sample.correct, sample
    # Past the T that level 1's reference times alone make: a provisional T would stop it.
    assert sample.times[1] > WIDE.timeout_factor * evaluation.reference_times[1]
    assert sample.times[1] < evaluation.timeout


# A problem whose reference sleeps 0.15 s on the largest level, so that T is over 0.3 s, and
# a sample as slow on level 0's tests: within T.
SLEEPY = ProblemSpec(**{**SPEC.__dict__, "reference_solution": (
    "    if len(xs) == 80000:\n        time.sleep(0.15)\n" + SPEC.reference_solution)})
SLEEPS_ON_LEVEL_0 = PROMPT + (
    "    if len(xs) == 5:\n        time.sleep(0.15)\n"
    "    return sum(x * x for x in xs)\n"
)


def test_a_sample_is_not_killed_before_the_final_time_limit_is_known(sandbox, tmp_path):
    # Tests cached with reference times a hundred times too short: on level 0, before the
    # reference is timed, the sandbox's deadline (half as much again as T estimated so far,
    # plus some 0.1 s) comes before the sample's calls end, though they are well within the
    # final T. The run killed there is not a timeout until the final T says so.
    low = cache_with_fast_reference(sandbox, SLEEPY, STRICT, tmp_path)
    evaluation = evaluate_problem(SLEEPY, [SLEEPS_ON_LEVEL_0], STRICT, low, sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.PASSED and sample.correct, sample
    assert 0.15 <= sample.times[0] < evaluation.timeout
    assert evaluation.timeout > 0.3


# FAST, but half a T slower (0.15 s, SLEEPY's T being some 0.3 s) on each call of level 1:
# well short of ENAMEL's limit, far beyond noise.
SLEEPS_ON_LEVEL_1 = SLEEPS_ON_LEVEL_0.replace("len(xs) == 5", "len(xs) == 20000")


def test_a_delay_short_of_the_limit_is_charged_not_repeated(cache):
    # A run is made again only when the sandbox could not make it, killed it before T was
    # final, or only the zygote's clock puts it past the limit: a sample merely slow, within
    # the limit, is charged its delay as it came, each repetition run once, and its
    # efficiency drops.
    settings = EvalSettings(repetitions=2)  # every repetition sleeps alike: two are enough
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(SLEEPY, [FAST, SLEEPS_ON_LEVEL_1], settings, cache,
                                      sandbox=sandbox)
    fast, slow = evaluation.samples
    assert slow.status == SampleStatus.PASSED and slow.correct, slow
    assert evaluation.repeated_runs == 0
    program = SLEEPY.sample_program(SLEEPS_ON_LEVEL_1)
    runs = [calls for ran, calls in sandbox.batches if ran == program]
    assert len(runs) == 1 + 3 * settings.repetitions  # a child a repetition, none again
    assert all(run.status == "ok" for calls in runs for _, run in calls)  # none killed
    assert 0.15 <= slow.times[1] < evaluation.timeout
    # Charged in full: level 1's efficiency is at most what T less the delay leaves.
    timeout, reference = evaluation.timeout, evaluation.reference_times[1]
    assert slow.levels[1] <= (timeout - 0.15) / (timeout - reference) < fast.levels[1]
    assert slow.efficiency < fast.efficiency


class SlowedOnceSandbox(RecordingSandbox):
    """A real sandbox where the `slowed`-th run of `program` runs `instead`: the same sample,
    slower inside its calls on that one repetition. (Nothing in a sample's process tells one
    repetition from another, so the repetition is picked from outside.)"""

    def __init__(self, program: str, instead: str, slowed: int) -> None:
        super().__init__()
        self.program, self.instead, self.slowed = program, instead, slowed
        self.runs_of_program = 0

    def run_calls(self, program: str, entry_point: str, calls: list[tuple[bytes, float]],
                  stop_after: float | None = None) -> list[RunResult]:
        if program == self.program:
            self.runs_of_program += 1
            if self.runs_of_program == self.slowed:
                program = self.instead
        return super().run_calls(program, entry_point, calls, stop_after)


def test_one_slow_repetition_short_of_the_limit_is_charged_in_its_place(cache, sandbox):
    # FAST, but its fourth run (level 1's third repetition) is SLEEPS_ON_LEVEL_1's: half a T
    # more on each call, short of the limit. Those times are charged where they came, not
    # thrown away for a faster run (a sample could hide its slow runs so): the Hodges-Lehmann
    # estimate over the repetitions is what absorbs one slow repetition.
    settings = EvalSettings()
    tests = cache.get(SLEEPY, settings.seed,
                      lambda blobs: reference_answers(sandbox, SLEEPY, blobs))
    program = SLEEPY.sample_program(FAST)
    with SlowedOnceSandbox(program, SLEEPY.sample_program(SLEEPS_ON_LEVEL_1), 4) as slowed:
        runner = ProblemRunner(SLEEPY, tests, settings, slowed)
        runner.finish_reference(needed=True)  # T final from the first run on, for clarity
        outcome = runner.run_sample(FAST)
    assert outcome.stop is None, outcome
    assert runner.repeated_runs == 0
    assert slowed.runs_of_program == sum(runner.repetitions)  # none made again
    # The slowed repetition's times carry the delay, every one, and no other's does.
    delayed = [[[seconds >= 0.15 for seconds in test] for test in level]
               for level in outcome.times]
    assert delayed == [[[level == 1 and repetition == 2 for repetition in range(reps)]
                        for _ in tests.levels[level].tests]
                       for level, reps in enumerate(runner.repetitions)], outcome.times


# SLOW_WHEN_LARGE working sixty times over on the larger levels, claiming a nanosecond a
# call: past WIDE's limit (some 40 ms here) there, far from it on the smaller levels.
FORGER_WHEN_LARGE = SLOW_WHEN_LARGE.replace("rounds = 8", "rounds = 60") + FORGED_CLOCK


def test_a_run_past_the_limit_by_the_zygotes_clock_alone_is_repeated_at_most_twice(
        cache, monkeypatch):
    # At most twice a repetition, as the README says: the sample's last runs, each past the
    # limit by the zygote's clock alone, are the first past it and its two repetitions, after
    # which the wall time is charged.
    # Its level 2 runs take some 1.57 T (T some 45 ms here), and the sandbox's kill comes at
    # 1.5 T plus some 105 ms (the engine's grace, the zygote's, the allowances): a margin of a
    # third on a machine four times slower, a twentieth where T is 400 ms, and a killed run is
    # not repeated. Here the kill comes at 3 T plus that, twice as late as those runs end.
    monkeypatch.setattr(engine, "KILL_MARGIN", 3.0)
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(SPEC, [FORGER_WHEN_LARGE], WIDE, cache, sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.TIMEOUT and sample.failed_level == 2, sample
    assert engine.DISPUTED_RETRIES == 2
    program = SPEC.sample_program(FORGER_WHEN_LARGE)
    past = [calls[-1][1].module_seconds + calls[-1][1].wall_seconds > evaluation.timeout
            for ran, calls in sandbox.batches if ran == program]
    assert False in past
    trailing = len(past) - past[::-1].index(False)
    assert past[trailing:] == [True] * (1 + engine.DISPUTED_RETRIES), past


def test_a_sample_is_charged_its_wall_time_less_at_most_the_references_overhead(cache,
                                                                                sandbox):
    # The README's bounds, to the bit. A call is charged its wall time by the zygote's clock
    # less at most what the reference's runs of the same test so far spent outside their
    # calls (their wall time less their own clock's), x 1.25 + 0.2 ms; the sample's own clock
    # only refines that within the bound. Then, once a level is done, each test's typical
    # (Hodges-Lehmann) charge is at least the least CPU time of its runs by the kernel's
    # count less the reference's typical CPU time outside its calls and 2 us: its
    # repetitions move up together when it is not. The forger, SLOWER claiming a nanosecond
    # a call, is charged by the bounds; FAST's own clock mostly says more, and is believed.
    settings = EvalSettings(timeout_factor=100.0)  # no run near the limit: each is charged
    tests = cache.get(SPEC, settings.seed,
                      lambda blobs: reference_answers(sandbox, SPEC, blobs))
    codes = [SLOWER + FORGED_CLOCK, FAST]
    with RecordingSandbox() as recording:
        runner = ProblemRunner(SPEC, tests, settings, recording)
        runner.finish_reference(needed=True)  # all the reference's runs first, for clarity
        outcomes = [runner.run_sample(code) for code in codes]
    assert runner.repeated_runs == 0  # every run charged as it came
    where = positions(tests)
    outside: dict[bytes, list[float]] = {}  # the reference's, per test
    codec: dict[bytes, list[float]] = {}  # the reference's CPU time outside its calls
    expected = {SPEC.sample_program(code): [[[] for _ in level.tests] for level in tests.levels]
                for code in codes}
    cpus = {SPEC.sample_program(code): [[[] for _ in level.tests] for level in tests.levels]
            for code in codes}
    for program, calls in recording.batches:
        for args, run in calls:
            level, number = where[args]
            if program == SPEC.reference_program:
                outside.setdefault(args, []).append(max(0.0, run.wall_seconds - run.call_seconds))
                codec.setdefault(args, []).append(max(0.0, run.cpu_seconds - run.call_seconds))
            elif SPEC.hardness[level]:  # on weighted levels, where the reference is timed
                bound = max(outside[args]) * 1.25 + 0.0002
                expected[program][level][number].append(
                    max(run.call_seconds, run.wall_seconds - bound))
                cpus[program][level][number].append(run.cpu_seconds)
    for program, levels in expected.items():
        for level, level_tests in enumerate(levels[1:], start=1):
            for number, charges in enumerate(level_tests):
                floor = (min(cpus[program][level][number])
                         - hodges_lehmann(codec[tests.levels[level].tests[number].args])
                         - 0.000002)
                shortfall = floor - hodges_lehmann(charges)
                if shortfall > 0:
                    level_tests[number] = [charge + shortfall for charge in charges]
    for code, outcome in zip(codes, outcomes, strict=True):
        assert outcome.stop is None, outcome
        wanted = expected[SPEC.sample_program(code)]
        for level in range(1, len(tests.levels)):
            for charged, bound in zip(outcome.times[level], wanted[level], strict=True):
                assert charged == pytest.approx(bound, rel=1e-12), level
    # Somewhere the bounds, not the forger's claim, are what it was charged.
    forger = outcomes[0]
    assert any(seconds > 1e-6 for level in forger.times[1:] for test in level for seconds in test)


# Microsecond calls: a sample doing a hundred times the reference's work, its clock forged.
TINY = ProblemSpec(**{**SPEC.__dict__, "level_sizes": (5, 10, 20, 40)})
HUNDREDFOLD_FORGER = PROMPT + (
    "    for _ in range(100):\n        total = sum(x * x for x in xs)\n    return total\n"
) + FORGED_CLOCK


# Twenty times the work, done by a helper process it started in its module code (kept in
# `sys` across the run's calls), the call waiting for the answer on a pipe: the kernel's count
# of the child's CPU time does not see it, but handing the input over and waiting for the
# answer costs more wall time than the wall clock's allowance.
HELPER_FORGER = PROMPT + "    return _ask(xs)\n" + FORGED_CLOCK + (
    "import os, pickle\n"
    "def _send(fd, value):\n"
    "    data = pickle.dumps(value)\n"
    "    os.write(fd, len(data).to_bytes(8, 'big') + data)\n"
    "def _receive(fd):\n"
    "    size, data = int.from_bytes(os.read(fd, 8), 'big'), b''\n"
    "    while len(data) < size:\n"
    "        data += os.read(fd, size - len(data))\n"
    "    return pickle.loads(data)\n"
    "if not hasattr(sys, 'helper'):\n"
    "    (asked, ask), (answer, answered) = os.pipe(), os.pipe()\n"
    "    if os.fork() == 0:\n"
    "        while True:\n"
    "            xs = _receive(asked)\n"
    "            for _ in range(20):\n"
    "                total = sum(x * x for x in xs)\n"
    "            _send(answered, total)\n"
    "    sys.helper = ask, answer\n"
    "def _ask(xs):\n"
    "    _send(sys.helper[0], xs)\n"
    "    return _receive(sys.helper[1])\n"
)


@pytest.mark.parametrize("forger", [HUNDREDFOLD_FORGER, HELPER_FORGER],
                         ids=["in-process", "helper-process"])
def test_a_forger_is_charged_the_work_the_kernel_counts(cache, sandbox, forger):
    # On calls of microseconds the wall clock's allowance (0.2 ms at least, for the time
    # outside the call) would hide a hundred times the work behind a forged clock; the
    # kernel's count of the child's CPU time shows it.
    evaluation = evaluate_problem(TINY, [FAST, forger], EvalSettings(), cache, sandbox=sandbox)
    fast, forger = evaluation.samples
    assert fast.status == SampleStatus.PASSED, fast.error
    # Charged its work (past T on the larger levels: correct, but eff 0 there), where its own
    # clock claims nothing at all. On level 1's 10-element calls the work can stay within the
    # noise of a loaded machine; without the bound the forger scores about 2.
    assert forger.correct and forger.efficiency < fast.efficiency / 2, forger
    for level in (2, 3):
        assert forger.times[level] > evaluation.timeout, level


def live(pid: int) -> bool:
    """Whether `pid` can still run code: not a zombie, not exiting (PF_EXITING in its stat)
    and no SIGKILL pending (the zygote reaps a killed child while the next one runs)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        pending = [int(line.split()[1], 16)
                   for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith(("SigPnd:", "ShdPnd:"))]
    except (OSError, IndexError):
        return False
    exiting, sigkill = 4, 1 << (signal.SIGKILL - 1)
    return (fields[0] not in "ZX" and not int(fields[6]) & exiting
            and not any(mask & sigkill for mask in pending))


def zygote_children(box: Sandbox) -> set[int]:
    """The live children of the sandbox's zygote: the zygote is python running zygote.py, as
    are the children it forks (bubblewrap, above it, has zygote.py among its arguments)."""
    [process] = box.processes
    zygotic = set()
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"python" in os.path.basename(command[0]) and b"zygote.py" in command[-2]:
            zygotic.add(pid)
    parents = {}
    for pid in zygotic:
        try:
            parents[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
    return {pid for pid, parent in parents.items() if parent in zygotic and live(pid)}


class HeldUpSandbox(RecordingSandbox):
    """A real sandbox (one zygote) where one run of `program`, the `held`-th, is held up from
    outside, as a busy machine may hold up a process: the child forked for that run is
    stopped (SIGSTOP) before the run is asked for, and let go (SIGCONT) halfway between
    ENAMEL's limit and the sandbox's deadline. The delay falls before the program's module
    code, while the child imports what the program does, which is not timed."""

    def __init__(self, program: str, held: int) -> None:
        super().__init__()
        self.program, self.held = program, held
        self.seen: set[int] = set()  # the children of the runs so far
        self.runs_of_program = 0
        self.held_up: list[RunResult] = []  # the results of the run held up
        self.held_seconds = 0.0  # how long that run took, by our clock

    def next_child(self) -> int:
        """The child the zygote forked for the next run (it forks it once the last is over)."""
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            fresh = zygote_children(self) - self.seen
            if len(fresh) == 1:
                [child] = fresh
                self.seen.add(child)
                return child
            time.sleep(0.001)
        raise AssertionError("no child waits for the next run")

    def run_calls(self, program: str, entry_point: str, calls: list[tuple[bytes, float]],
                  stop_after: float | None = None) -> list[RunResult]:
        child = self.next_child()
        if program == self.program:
            self.runs_of_program += 1
        if program != self.program or self.runs_of_program != self.held or stop_after is None:
            return super().run_calls(program, entry_point, calls, stop_after)
        os.kill(child, signal.SIGSTOP)
        resume = threading.Timer(stop_after + (calls[0][1] - stop_after) / 2, os.kill,
                                 (child, signal.SIGCONT))
        started = time.monotonic()
        resume.start()
        try:
            self.held_up = super().run_calls(program, entry_point, calls, stop_after)
        finally:
            resume.cancel()
            resume.join()
        self.held_seconds = time.monotonic() - started
        return self.held_up


HELD_UP = FAST + "# the same code, held up once from outside\n"


def test_an_honest_sample_held_up_once_from_outside_is_not_stopped(cache):
    # Its second run (level 1's first repetition) is held up from outside past ENAMEL's
    # limit, T + tolerance, before its module code: no clock that counts sees it, and the
    # sample passes. (Held up later, in its module code, the run would be repeated in a fresh
    # process: test_a_run_only_the_zygotes_clock_puts_past_the_limit_is_repeated_then_charged.)
    settings = EvalSettings(timeout_factor=20.0)  # a limit that noise alone does not reach
    with HeldUpSandbox(SPEC.sample_program(HELD_UP), held=2) as sandbox:
        evaluation = evaluate_problem(SPEC, [FAST, HELD_UP], settings, cache, sandbox=sandbox)
    [first, *_] = sandbox.held_up
    assert first.status == "ok", first
    limit = evaluation.timeout + settings.tolerance_seconds
    assert sandbox.held_seconds > limit
    assert first.module_seconds + first.wall_seconds < limit, first
    fast, held_up = evaluation.samples
    assert held_up.status == SampleStatus.PASSED and held_up.correct, held_up
    assert held_up.times[1] < evaluation.timeout


# Module code that sleeps 70 ms: past ENAMEL's limit on this problem (T with no tolerance, some
# 6 ms here, 13 ms on a loaded CI machine; of the 70 ms, 2 ms is allowed on level 0, so it
# stays past T until the reference's slowest test takes 34 ms), yet short of the sandbox's
# kill (half a T more, plus the engine's 50 ms grace, the zygote's 50 ms and the allowances:
# over 104 ms): only the engine's judgement, not the kill, stops it.
SLOW_MODULE_CODE = "import time\ntime.sleep(0.07)\n" + FAST


def test_module_code_past_the_limit_short_of_the_kill_is_a_timeout_on_level_0(cache):
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(SPEC, [SLOW_MODULE_CODE], STRICT, cache, sandbox=sandbox)
    [slow] = evaluation.samples
    assert slow.status == SampleStatus.TIMEOUT and slow.failed_level == 0 and not slow.correct
    program = SPEC.sample_program(SLOW_MODULE_CODE)
    runs = [run for ran, run in sandbox.runs if ran == program]
    # Every run completed: none was killed at its deadline.
    assert runs and all(run.status == "ok" for run in runs), runs
    assert all(run.module_seconds > evaluation.timeout for run in runs)


# Importing doctest takes a fresh process 15-30 ms, past ENAMEL's limit here (T, some 7 ms,
# + 5 ms: a call twice as slow under a loaded machine's noise still passes); ENAMEL's
# long-lived process imports it once, and a sample that does passes there. Imported at module
# level, and in the function: both are imported ahead, untimed, in each run's child.
COLD_IMPORTS = ["import doctest\n" + FAST,
                FAST.replace(":\n", ":\n    import unittest\n", 1)]
IMPORT_LIMIT = EvalSettings(tolerance_seconds=0.005)


def test_a_program_s_imports_are_not_charged(cache):
    assert all(code != FAST and "import" in code for code in COLD_IMPORTS)
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(SPEC, COLD_IMPORTS, IMPORT_LIMIT, cache, sandbox=sandbox)
    for sample in evaluation.samples:
        assert sample.status == SampleStatus.PASSED and sample.correct, sample
    programs = {SPEC.sample_program(code) for code in COLD_IMPORTS}
    runs = [run for ran, run in sandbox.runs if ran in programs]
    assert runs and all(run.module_seconds < evaluation.timeout for run in runs)


def test_the_references_own_module_code_is_not_charged(tmp_path):
    # Module code of 120 ms in the reference and in the sample alike: past ENAMEL's limit (T
    # five times the reference's slowest test, some 14 ms here, 32 ms on the loaded CI
    # machine where that test took 6.4 ms, and no tolerance; past T until it takes 24 ms),
    # but not beyond the reference's, so not charged. Five times leaves the sample's own calls,
    # as fast as the reference's, far within T all the same. Level 0 is weighted here, so
    # that the reference is timed on every level (on a level of weight 0 it is not, and
    # module code past 2 ms counts). Two repetitions are enough.
    spec = ProblemSpec(**{**SPEC.__dict__, "hardness": (1.0, 3.0, 3.0, 4.0),
                          "reference_solution": SPEC.reference_solution + "time.sleep(0.12)\n"})
    sample = FAST + "time.sleep(0.12)\n"
    settings = EvalSettings(repetitions=2, timeout_factor=5.0, tolerance_seconds=0.0)
    with RecordingSandbox() as sandbox:
        evaluation = evaluate_problem(spec, [sample], settings, CaseCache(tmp_path),
                                      sandbox=sandbox)
    [result] = evaluation.samples
    assert result.status == SampleStatus.PASSED and result.correct, result
    runs = [run for ran, run in sandbox.runs if ran == spec.sample_program(sample)]
    assert all(run.module_seconds > evaluation.timeout for run in runs), evaluation.timeout


def test_the_reference_is_timed_between_the_samples_repetitions(cache, sandbox):
    # On the same sandbox, repetition by repetition: on each weighted level the reference's
    # repetitions and the sample's alternate, neither side ever two repetitions ahead.
    tests = cache.get(SPEC, EvalSettings().seed,
                      lambda blobs: reference_answers(sandbox, SPEC, blobs))
    where = positions(tests)
    lenient = EvalSettings(timeout_factor=100.0)  # no run near the limit, none repeated
    with RecordingSandbox() as recording:
        evaluation = evaluate_problem(SPEC, [FAST], lenient, cache, sandbox=recording)
    assert evaluation.samples[0].status == SampleStatus.PASSED and evaluation.repeated_runs == 0
    order: list[list[str]] = [[] for _ in tests.levels]
    for program, calls in recording.batches:
        level, number = where[calls[0][0]]
        if number == 0:  # a repetition's first run
            order[level].append("R" if program == SPEC.reference_program else "S")
    for level, weight in enumerate(SPEC.hardness):
        if not weight:
            continue
        sides = order[level]
        assert sorted(sides) == ["R"] * 6 + ["S"] * 6, sides
        ahead = [sides[:end].count("R") - sides[:end].count("S") for end in range(13)]
        assert max(map(abs, ahead)) <= 1, "".join(sides)


def test_a_wrong_answer_past_the_time_limit_is_a_timeout_as_in_enamel(cache, sandbox):
    # ENAMEL's alarm stops the call before its answer can be checked.
    wrong_when_large = SLOW_WHEN_LARGE.replace("return total", "return total + (rounds > 1)")
    evaluation = evaluate_problem(SPEC, [FAST, wrong_when_large], STRICT, cache, sandbox=sandbox)
    sample = evaluation.samples[1]
    assert sample.status == SampleStatus.TIMEOUT and sample.correct and sample.failed_level == 2


# SLOWER, answering from a cache in builtins once it has seen the input: repetitions 2 to 6
# would cost nothing if anything carried over from one to the next.
MEMO_SLOWER = PROMPT + (
    "    import builtins\n"
    "    memo = builtins.__dict__.setdefault('memo', {})\n"
    "    if tuple(xs) not in memo:\n"
    "        for _ in range(3):\n            memo[tuple(xs)] = sum(x * x for x in xs)\n"
    "    return memo[tuple(xs)]\n"
)


def test_caching_across_repetitions_does_not_make_a_sample_fast(cache, sandbox):
    evaluation = evaluate_problem(SPEC, [FAST, MEMO_SLOWER], EvalSettings(), cache,
                                  sandbox=sandbox)
    fast, memo = evaluation.samples
    # Three times the work may pass T on the largest levels; the smallest timed one never.
    assert memo.correct and memo.times[1] is not None
    for level in (1, 2, 3):
        if memo.times[level] is not None:
            assert memo.times[level] > 1.5 * fast.times[level]


# Right on level 0, then wrong on each timed call with even odds: each child draws afresh.
SOMETIMES_WRONG = PROMPT + (
    "    import random\n"
    "    return sum(x * x for x in xs) + (len(xs) > 5 and random.random() < 0.5)\n"
)


def test_an_answer_already_accepted_on_a_test_is_not_checked_again(cache, sandbox,
                                                                    monkeypatch):
    checks = []
    load_checker = engine.load_checker

    def counting_checker(spec):
        check = load_checker(spec)
        return lambda *args: checks.append(args) or check(*args)

    monkeypatch.setattr(engine, "load_checker", counting_checker)
    samples = [FAST, FAST + "# the same answers\n", SOMETIMES_WRONG]
    lenient = EvalSettings(timeout_factor=100.0)  # answers only: no timeout on a busy machine
    evaluation = evaluate_problem(SPEC, samples, lenient, cache, sandbox=sandbox)
    statuses = [sample.status for sample in evaluation.samples]
    # A different answer is checked even where the right one was accepted before.
    assert statuses == [SampleStatus.PASSED, SampleStatus.PASSED, SampleStatus.WRONG_ANSWER]
    # FAST's first answer on each of the 20 tests; the rest are the same bytes, but for the
    # one wrong answer that stops SOMETIMES_WRONG.
    assert len(checks) == sum(SPEC.tests_per_level) + 1, [s.error for s in evaluation.samples]


def test_error_lines_are_the_samples_own(cache):
    # The program is the prompt, then the sample: a syntax error on the sample's second line
    # is reported there, not at the program's line.
    broken = "def sum_squares(xs):\n    return sum(x * x for x in xs\n\n"
    with Sandbox() as sandbox:
        evaluation = evaluate_problem(SPEC, [broken], EvalSettings(), cache, sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.ERROR
    assert sample.error.startswith("SyntaxError") and "(<sample>, line 2)" in sample.error


# HumanEval/21 (rescale_to_unit) in small: ENAMEL's checker, blind to NaN past the first
# number (`max` never lets a NaN replace the largest difference so far).
RESCALE_PROMPT = 'def rescale(numbers: list) -> list:\n    """numbers mapped onto [0, 1]."""\n'
RESCALE = ProblemSpec(
    index=901,
    task_id="Test/901",
    prompt=RESCALE_PROMPT,
    entry_point="rescale",
    input_generator=(
        "def generate_input(size, lid, cid):\n"
        "    return [random.uniform(0., 1.) for _ in range(size)],\n"
    ),
    level_sizes=(5, 100, 200, 400),
    reference_solution=(
        "    mi = min(numbers)\n    k = 1. / (max(numbers) - mi)\n"
        "    return [(x - mi) * k for x in numbers]\n"
    ),
    checker=(
        "def __check(input, answer, output):\n"
        "    return type(output) == list and len(output) == len(answer) and all(type(b) in "
        "(int, float) for b in output) and max(abs(a - b) for a, b in zip(answer, output)) "
        "< 1e-4\n"
    ),
    tests_per_level=(2, 1, 1, 1),
)
RESCALE_HONEST = RESCALE_PROMPT + (
    "    low, high = min(numbers), max(numbers)\n"
    "    return [(x - low) / (high - low) for x in numbers]\n"
)
# The first number right, the rest NaN: computes next to nothing, and the checker accepts it.
RESCALE_NAN_TAIL = RESCALE_PROMPT + (
    "    low = min(numbers)\n"
    "    return [(numbers[0] - low) / (max(numbers) - low)] + [float('nan')] * (len(numbers) - 1)\n"
)
# The same problem with a NaN (a gap) last in every input, which the answer keeps.
RESCALE_GAPS = ProblemSpec(**{
    **RESCALE.__dict__, "index": 902, "task_id": "Test/902",
    "input_generator": (
        "def generate_input(size, lid, cid):\n"
        "    return [random.uniform(0., 1.) for _ in range(size - 1)] + [float('nan')],\n"
    ),
    "reference_solution": (
        "    known = [x for x in numbers if x == x]\n"
        "    mi = min(known)\n    k = 1. / (max(known) - mi)\n"
        "    return [(x - mi) * k for x in numbers]\n"
    ),
})
RESCALE_GAPS_HONEST = RESCALE_PROMPT + (
    "    import math\n"
    "    known = sorted(x for x in numbers if not math.isnan(x))\n"
    "    return [(x - known[0]) / (known[-1] - known[0]) for x in numbers]\n"
)
LENIENT = EvalSettings(repetitions=2, timeout_factor=100.0)  # answers only: no timeouts


def test_a_nan_the_checker_is_blind_to_is_a_wrong_answer(cache, sandbox):
    evaluation = evaluate_problem(RESCALE, [RESCALE_HONEST, RESCALE_NAN_TAIL], LENIENT, cache,
                                  sandbox=sandbox)
    honest, nan_tail = evaluation.samples
    assert honest.status == SampleStatus.PASSED and honest.correct, honest
    assert nan_tail.status == SampleStatus.WRONG_ANSWER and not nan_tail.correct, nan_tail
    assert nan_tail.failed_level == 0 and nan_tail.efficiency == 0
    assert nan_tail.error == (
        "WrongAnswer: NaN in the output where the answer has none, on level 0 test 0")
    # The checker alone accepts that output: the engine, not the checker, refuses it.
    test = cache.get(RESCALE, LENIENT.seed, lambda blobs: []).levels[0].tests[0]
    [numbers] = test.input()
    low, high = min(numbers), max(numbers)
    output = [(numbers[0] - low) / (high - low)] + [math.nan] * (len(numbers) - 1)
    assert engine.load_checker(RESCALE)(test.input(), test.answer, output) is True


def test_a_nan_where_the_answer_has_one_is_the_checkers_to_judge(cache, sandbox):
    assert validate_problem(RESCALE_GAPS, LENIENT, cache, sandbox=sandbox) == []
    evaluation = evaluate_problem(RESCALE_GAPS, [RESCALE_GAPS_HONEST], LENIENT, cache,
                                  sandbox=sandbox)
    [sample] = evaluation.samples
    assert sample.status == SampleStatus.PASSED and sample.correct, sample
    tests = cache.get(RESCALE_GAPS, LENIENT.seed, lambda blobs: [])
    assert all(math.isnan(test.answer[-1]) for level in tests.levels for test in level.tests)


def nested_deep(depth: int, innermost: object) -> list:
    """A list `depth` lists deep, nested after creation (as an output's memo references can
    nest lists past decoding's MAX_DEPTH)."""
    outer = current = []
    for _ in range(depth):
        inner: list = []
        current.append(inner)
        current = inner
    current.append(innermost)
    return outer


def cyclic(*items: object) -> list:
    """A list that holds itself, then `items`."""
    looped: list = []
    looped.append(looped)
    looped.extend(items)
    return looped


def shared(levels: int, leaf: object) -> list:
    """Lists each holding the one below twice: 2**levels paths to `leaf`."""
    value: list = [leaf]
    for _ in range(levels):
        value = [value, value]
    return value


NAN = float("nan")


@pytest.mark.parametrize("value", [
    NAN, [NAN], (1, NAN), [1.5] * 100_000 + [NAN], [1, (2, [3, "x", NAN])],
    {"a": NAN}, {NAN: 1}, {(1, NAN): 2}, {1: {2: [NAN]}}, {1.0, NAN}, frozenset({NAN}),
    [frozenset({(NAN,)})], nested_deep(100_000, NAN), cyclic(1, [NAN]), shared(60, NAN),
    [float("inf"), -float("inf"), NAN], [10**400, "nan", NAN],
])
def test_contains_nan_finds_a_nan_anywhere(value):
    assert engine.contains_nan(value)


@pytest.mark.parametrize("value", [
    None, 1.5, float("inf"), [float("inf"), -float("inf"), 0.0, -0.0], [1.5] * 100_000,
    list(range(100_000)), [(i, i / 3) for i in range(10_000)], {"nan": [1.0], 2.0: (3,)},
    {1.0, 2.0}, frozenset({(1.0,)}), ["nan", b"nan", bytearray(b"nan"), True, 10**400],
    nested_deep(100_000, 1.0), cyclic(1.0, [2.0]), shared(60, 1.0), [], {}, (),
])
def test_contains_nan_finds_none_where_there_is_none(value):
    assert not engine.contains_nan(value)
