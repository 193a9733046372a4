"""Evaluates the samples of one problem: tests from the cache, every run in the sandbox.

Plain Python, no Django (evaluation.api is the Django-aware door). The reference solution is
timed here, in the same sandbox and interleaved repetition by repetition with the samples,
so the efficiency ratio holds on a slow or noisy machine.

A repetition of a level is one sandbox run: a fresh child runs, for each of the level's tests
in order, the program's module code in a fresh scope and then the call, as ENAMEL execs the
whole program for every call. So nothing carries over from one repetition to the next, while
the tests of one repetition share the process as they would in ENAMEL's. A test's first call
in a child pays for everything the program sets up lazily, and a level's time is its slowest
test's: work a sample defers to its first call is charged in full.

A sample's time comes from the zygote's clock, which the sample cannot reach: each call is
charged its wall time less at most what the reference's runs of the same test spent outside
their calls; the sample's own clock (untrusted) only refines the figure within that bound.
ENAMEL's alarm covers module code and call alike, so a run is past ENAMEL's limit when its
charged time plus its module code's excess over the reference's exceeds T + tolerance.
"""

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import is_
from typing import Any

from evaluation.cache import CaseCache, ProblemCases
from evaluation.formats import UNSTORABLE
from evaluation.metrics import hodges_lehmann, problem_metrics
from evaluation.results import ProblemEvaluation, SampleStatus
from evaluation.sandbox import RunResult, RunStatus, Sandbox, UnsafeOutput
from evaluation.scoring import SampleRun, score_sample, timeout_seconds
from evaluation.spec import EvalSettings, ProblemSpec
from evaluation.testgen import GenerationError

# A reference solution gets this long per test before the problem is declared broken.
REFERENCE_TIMEOUT_SECONDS = 60.0
# The hard kill comes this much later than the timeout estimated so far (plus a grace), so that
# noise never kills a sample ENAMEL would have let finish; ENAMEL's own limit, T + tolerance,
# is applied to each run's recorded time (see ProblemRunner._over_time_limit).
KILL_MARGIN = 1.5
KILL_GRACE_SECONDS = 0.05
# What a run may spend outside the call (input decoding, output encoding, pipes, scheduling),
# by the zygote's clock: the reference's largest such overhead on the same test, times the
# slack, plus the floor. A sample is charged its wall time less this at least, whatever its
# own clock says. The same goes for module code, against the reference's module code.
OVERHEAD_SLACK = 1.25
OVERHEAD_FLOOR_SECONDS = 0.0002
# The allowance on levels the reference is not timed on (weight 0: only pass or fail counts).
UNTIMED_OVERHEAD_SECONDS = 0.002
# A sample's typical time on a test is at least its least CPU time by the kernel's count
# less the reference's typical CPU time outside its call and this (see
# ProblemRunner._cpu_floor).
CPU_FLOOR_SECONDS = 0.000002
# How often a repetition is run again when only the zygote's clock puts one of its runs past
# ENAMEL's limit (see ProblemRunner._run_repetition).
DISPUTED_RETRIES = 2
# Distinct accepted outputs remembered per test (see ProblemRunner._failure).
ACCEPTED_OUTPUTS_KEPT = 4

Progress = Callable[[int, int], None]
_RUN_FAILURES = {RunStatus.TIMEOUT: SampleStatus.TIMEOUT, RunStatus.MEMORY: SampleStatus.MEMORY,
                 RunStatus.KILLED: SampleStatus.KILLED}


class EvaluationError(Exception):
    """The problem itself cannot be evaluated (broken generator, reference or checker)."""


def load_checker(spec: ProblemSpec) -> Callable[[object, object, object], bool]:
    # As ENAMEL does: the prompt first (its imports), its stub closed with `pass`.
    scope: dict[str, Any] = {}
    try:
        exec(f"{spec.prompt}\n    pass\n{spec.checker}\n", scope)  # noqa: S102 - problem data
        checker: Callable[[object, object, object], bool] = scope["__check"]
        return checker
    except Exception as exc:
        raise EvaluationError(f"{spec.task_id}: checker does not load: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


# What decoding.decode_output builds that holds other values (a dict its keys and values).
_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})


def _of_type(items: list[Any], kind: type) -> Iterator[Any]:
    return compress(items, map(is_, map(type, items), repeat(kind)))


def contains_nan(value: object) -> bool:
    """Whether a float NaN is anywhere in `value`, plain data as decoding builds it: in a
    list, tuple, set or frozenset, a dict's keys or values, at any depth.

    A NaN fails every comparison, so a checker that compares the output by `<`, `max` or
    `min` can be blind to it: HumanEval/21's `max(abs(a - b) ...) < 1e-4` never lets a NaN
    replace the first difference, and accepts [right first number] + [nan] * (n - 1). An
    infinity is ordered, the largest of numbers: a tolerance or an equality check rejects it
    where the answer has a finite number (and `inf - inf` is NaN, which fails `< eps`, so it
    errs towards rejecting), so infinities are left to the checker.

    Walked a level at a time, breadth first, with no recursion (an output's lists can be
    nested far deeper than decoding's MAX_DEPTH once built), each container once however
    often the output refers to it (by id: the output, alive throughout, holds them all), so
    shared and cyclic outputs cost no more than their size. Each level's items are looked
    at by C-level iterators, not a Python loop: a few ms for 10**5 numbers, some 30 for
    10**5 pairs, a fraction of what decoding and checking such an output costs.
    """
    seen: set[int] = set()
    items: list[Any] = [value]
    while items:
        kinds = set(map(type, items))
        if float in kinds:
            floats = items if len(kinds) == 1 else _of_type(items, float)
            if any(map(math.isnan, floats)):
                return True
        if _CONTAINERS.isdisjoint(kinds):
            return False
        containers = items if kinds <= _CONTAINERS else list(
            compress(items, map(_CONTAINERS.__contains__, map(type, items))))
        ids = set(map(id, containers))
        if len(ids) < len(containers) or not seen.isdisjoint(ids):  # shared or cyclic
            by_id = dict(zip(map(id, containers), containers, strict=True))
            ids -= seen
            containers = list(map(by_id.__getitem__, ids))
        seen |= ids
        items = list(chain.from_iterable(containers))  # of a dict, its keys
        if dict in kinds:
            items += chain.from_iterable(map(dict.values, _of_type(containers, dict)))
    return False


def call_time(run: RunResult) -> float:
    """The call's duration by its own clock, never more than the zygote's wall clock saw:
    the reference's time (trusted code), and the share of time spent inside calls."""
    return min(run.call_seconds, run.wall_seconds)


def charged_time(run: RunResult, allowance: float) -> float:
    """A sample's time for one call: the zygote's wall clock less at most `allowance` (the
    reference's own overhead on the test), refined by the child's clock only within that.

    The child's clock lives in the sample's process, which owns it and the harness beside
    it; the sandbox has already refused a figure that is not between 0 and the wall time.
    """
    return max(run.call_seconds, run.wall_seconds - allowance)


def storable(text: str) -> str:
    """`text` with what no database stores (formats.UNSTORABLE) replaced by U+FFFD, so that a
    sample cannot make its results fail to be written (and its job be retried): its error
    text is its own to choose (an exception's message, or anything its process sends), as is
    a checker's error that quotes its output."""
    return UNSTORABLE.sub("\ufffd", text)


def user_lines(error: str, prompt: str) -> str:
    """`error` with the line numbers of the sample program (prompt, then the sample's code)
    turned into lines of the sample's own code, as its author numbers them."""
    offset = prompt.count("\n") + 1

    def renumber(match: re.Match[str]) -> str:
        line = int(match.group(1)) - offset
        return f"<sample>, line {line}" if line > 0 else "<prompt>"

    return re.sub(r"<sample>, line (\d+)", renumber, error)


def reference_answers(
    sandbox: Sandbox, spec: ProblemSpec, blobs: list[bytes]
) -> list[tuple[object, float]]:
    runs = sandbox.run_calls(
        spec.reference_program, spec.entry_point,
        [(blob, REFERENCE_TIMEOUT_SECONDS) for blob in blobs],
    )
    for number, run in enumerate(runs):
        if run.status != RunStatus.OK:
            raise EvaluationError(
                f"{spec.task_id}: reference solution failed on a test ({number}): "
                f"{run.status} {run.error}".strip()
            )
    try:
        return [(run.output, call_time(run)) for run in runs]
    except UnsafeOutput as exc:
        raise EvaluationError(f"{spec.task_id}: reference output refused: {exc}") from None


@dataclass
class _ReferenceTimes:
    """The reference's timings per test, repetition by repetition as the samples need them."""

    reps: list[list[list[float]]]
    overhead: list[list[list[float]]]  # time each run of this test spent outside the call
    codec: list[list[list[float]]]  # CPU time each run of this test spent outside the call
    module: list[list[list[float]]]  # time each run of this test spent in module code


class ProblemRunner:
    def __init__(
        self, spec: ProblemSpec, tests: ProblemCases, settings: EvalSettings, sandbox: Sandbox
    ) -> None:
        self.spec = spec
        self.tests = tests
        self.settings = settings
        self.sandbox = sandbox
        self.check = load_checker(spec)
        self.call_seconds = 0.0  # inside calls, samples' and reference's
        self.repeated_runs = 0  # see _run_repetition
        self.repetitions = [settings.repetitions if h else 1 for h in spec.hardness]
        def per_test() -> list[list[list[float]]]:
            return [[[] for _ in level.tests] for level in tests.levels]

        self.reference = _ReferenceTimes(reps=per_test(), overhead=per_test(), codec=per_test(),
                                         module=per_test())
        # Digests of the output bytes the checker accepted, per test (see _failure).
        self.accepted: list[list[set[bytes]]] = [
            [set() for _ in level.tests] for level in tests.levels
        ]
        # Whether each test's answer holds a NaN, once an output with one needs to know.
        self.answer_nan: list[list[bool | None]] = [
            [None for _ in level.tests] for level in tests.levels
        ]
        self._timeout: float | None = None  # _timeout_estimate's, until a reference run

    def _run_level(self, program: str, level: int, first: int, timeouts: list[float],
                   stop_after: float | None = None) -> list[RunResult]:
        """One repetition of `level`'s tests from test `first` on, a timeout each (see
        Sandbox.run_calls for where it stops)."""
        tests = self.tests.levels[level].tests
        runs = self.sandbox.run_calls(
            program, self.spec.entry_point,
            [(test.args, timeout) for test, timeout in zip(tests[first:], timeouts, strict=True)],
            stop_after,
        )
        self.call_seconds += sum(call_time(run) for run in runs)
        return runs

    def _run_reference(self, level: int) -> None:
        """One more repetition of the reference on every test of `level`."""
        tests = len(self.tests.levels[level].tests)
        runs = self._run_level(
            self.spec.reference_program, level, 0, [REFERENCE_TIMEOUT_SECONDS] * tests
        )
        for test, run in enumerate(runs):
            if run.status != RunStatus.OK:
                raise EvaluationError(
                    f"{self.spec.task_id}: reference solution failed on level {level} test "
                    f"{test}: {run.status} {run.error}".strip()
                )
            self.reference.overhead[level][test].append(
                max(0.0, run.wall_seconds - run.call_seconds)
            )
            self.reference.codec[level][test].append(max(0.0, run.cpu_seconds - call_time(run)))
            self.reference.module[level][test].append(run.module_seconds)
            self.reference.reps[level][test].append(call_time(run))

    def _reference_estimate(self, level: int, test: int) -> float:
        reps = self.reference.reps[level][test]
        if reps:
            return hodges_lehmann(reps)
        return self.tests.levels[level].tests[test].reference_seconds

    def _timeout_estimate(self) -> float:
        """T from the reference's repetitions so far (cached test times where none yet)."""
        if self._timeout is None:
            self._timeout = timeout_seconds(
                self._reference_estimates(), list(self.spec.hardness),
                self.settings.timeout_factor,
            )
        return self._timeout

    def _reference_estimates(self) -> list[list[float]]:
        return [
            [self._reference_estimate(level, test) for test in range(len(tests.tests))]
            for level, tests in enumerate(self.tests.levels)
        ]

    def _allowance(self, level: int, test: int, module: bool = False) -> float:
        """What a sample's run of this test may spend outside its call (or, with `module`,
        in its module code) before the excess is charged to it."""
        seen = (self.reference.module if module else self.reference.overhead)[level][test]
        if not seen:  # a level of weight 0: the reference is not timed there
            return UNTIMED_OVERHEAD_SECONDS
        # The largest, not a typical, overhead: on a loaded machine the reference's runs show
        # how much scheduling alone adds, and an honest sample must not be charged for that.
        return max(seen) * OVERHEAD_SLACK + OVERHEAD_FLOOR_SECONDS

    def _cpu_floor(self, level: int, test: int, cpus: list[float]) -> float:
        """The least a sample's typical time on this test can be, by the kernel's count of its
        process's CPU time over its runs' calls (`cpus`): the least of them, less the
        reference's typical CPU time outside its call on the test (decoding the input,
        encoding the output) and CPU_FLOOR_SECONDS.

        The child's own clock says what the sample likes; its CPU time it cannot set back, so
        a sample that claims less than its work took is charged its work. Noise only adds to
        CPU time, so the least of a sample's runs is the one nearest its work, and an honest
        sample rarely meets the floor (bench/cpu_floor.py: 0.001-0.005 of eff@1 a set, all on
        microsecond problems). What a forger can still hide is that figure's spread, which is
        the most on the shortest calls.
        """
        codec = hodges_lehmann(self.reference.codec[level][test])
        return min(cpus) - codec - CPU_FLOOR_SECONDS

    def _limit_time(self, run: RunResult, level: int, test: int) -> float:
        """What ENAMEL's alarm would have seen of this run: its charged time, plus what its
        module code took beyond the reference's (the alarm covers the whole program)."""
        module = max(0.0, run.module_seconds - self._allowance(level, test, module=True))
        return charged_time(run, self._allowance(level, test)) + module

    def _ensure_reference_reps(self, level: int, count: int) -> None:
        while len(self.reference.reps[level][0]) < count:
            self._run_reference(level)
            self._timeout = None

    def _deadline(self, level: int, test: int) -> float:
        """When the sandbox kills a call (module code included): well past ENAMEL's limit as
        estimated so far."""
        return (
            KILL_MARGIN * self._timeout_estimate()
            + self.settings.tolerance_seconds
            + self._allowance(level, test)
            + self._allowance(level, test, module=True)
            + KILL_GRACE_SECONDS
        )

    def _stop_after(self) -> float:
        """The zygote's clock time (module code and call) past which the child's calls stop:
        ENAMEL's limit as estimated so far. A run past it may yet be within the limit once
        its charge and the final T are known: then the tests left get a child of their own,
        which costs a fork, where running on past a sample's first timeout costs whole calls.
        """
        return self._limit()

    def run_sample(self, code: str) -> SampleRun:
        program = self.spec.sample_program(code)
        outcome = SampleRun()
        for level, tests in enumerate(self.tests.levels):
            weighted = bool(self.spec.hardness[level])
            times: list[list[float]] = [[] for _ in tests.tests]
            cpus: list[list[float]] = [[] for _ in tests.tests]  # each run's, by the kernel
            for repetition in range(self.repetitions[level]):
                # Interleaved in ABBA order (reference, sample, sample, reference, ...): each
                # side goes first equally often, and, where the sandbox alternates between two
                # zygotes, runs equally often in each of them.
                reference_first = repetition % 2 == 0
                if weighted and reference_first:
                    self._ensure_reference_reps(level, repetition + 1)
                if not self._run_repetition(program, level, times, cpus, outcome):
                    outcome.error = storable(user_lines(outcome.error, self.spec.prompt))
                    return outcome
                if weighted and not reference_first:
                    self._ensure_reference_reps(level, repetition + 1)
            if weighted:
                for test, reps in enumerate(times):
                    # Hodges–Lehmann moves with a constant added to every repetition: this
                    # makes the test's estimate the floor, when it was below it.
                    shortfall = self._cpu_floor(level, test, cpus[test]) - hodges_lehmann(reps)
                    if shortfall > 0:
                        times[test] = [seconds + shortfall for seconds in reps]
            outcome.times.append(times)
        return outcome

    def _run_repetition(self, program: str, level: int, times: list[list[float]],
                        cpus: list[list[float]], outcome: SampleRun) -> bool:
        """One repetition of the sample on `level`'s tests, each accepted run's charged time
        appended to `times[test]`; False once the sample is stopped, `outcome` saying why.

        Each run is checked as it comes, its output decoded only then: a failed one ends the
        repetition before the next is looked at.

        Should only the zygote's clock put a run past ENAMEL's limit, its own clock saying it
        was within (a forged clock, or a scheduling delay outside the call that the
        reference's runs never met), the rest of the repetition runs again in a fresh child,
        up to DISPUTED_RETRIES times, before the wall time is charged: a forger gains nothing
        by it, and an honest sample is not stopped by a rare delay that was not its own. A
        delay short of the limit is charged as it is: the robust estimate over repetitions
        (scoring.hodges_lehmann) absorbs one slow repetition.
        """
        tests = self.tests.levels[level].tests
        done, retries = 0, DISPUTED_RETRIES
        while done < len(tests):
            # A call past ENAMEL's limit as estimated so far ends the child's calls; should the
            # final limit let it pass, the tests left get a child of their own.
            deadlines = [self._deadline(level, test) for test in range(done, len(tests))]
            batch = self._run_level(program, level, done, deadlines,
                                    stop_after=self._stop_after())
            for number, run in enumerate(batch, start=done):
                outcome.peak_memory = max(outcome.peak_memory, run.peak_memory)
                # Before the answer is checked: ENAMEL's alarm would have fired first.
                failure: SampleStatus | None
                if run.status == RunStatus.OK and self._over_time_limit(run, level, number):
                    if retries and run.call_seconds <= self._limit():
                        retries -= 1
                        self.repeated_runs += 1
                        break  # the rest of the repetition again, in a fresh child
                    failure = SampleStatus.TIMEOUT
                elif run.status == RunStatus.TIMEOUT and self._killed_early(
                        deadlines[number - done], level, number):
                    break  # the rest of the repetition again, under the final T's deadline
                else:
                    failure = self._failure(run, level, number)
                if failure is not None:
                    outcome.stop, outcome.stop_level = failure, level
                    outcome.error = run.error or f"{failure} on level {level} test {number}"
                    return False
                times[number].append(charged_time(run, self._allowance(level, number)))
                cpus[number].append(run.cpu_seconds)
                done = number + 1
        return True

    def _limit(self) -> float:
        """ENAMEL's limit on one repetition as estimated so far: T + tolerance."""
        return self._timeout_estimate() + self.settings.tolerance_seconds

    def _over_time_limit(self, run: RunResult, level: int, test: int) -> bool:
        """Whether this one repetition took longer than ENAMEL's limit, T + tolerance.

        ENAMEL's alarm stops a sample at such a repetition, and scoring censors its level
        whatever the others show (its trusted time is at least this), so running on would
        only waste time. Judged against the final T: the reference's repetitions are
        completed first, so that a low early estimate of T never stops a sample.
        """
        seconds = self._limit_time(run, level, test)
        if seconds <= self._limit():
            return False
        self._complete_reference()
        return seconds > self._limit()

    def _killed_early(self, deadline: float, level: int, test: int) -> bool:
        """Whether a run the sandbox killed at `deadline`, set from T as estimated so far,
        might yet have been within ENAMEL's final limit, as for any run judged once the
        reference's repetitions are complete: of the `deadline` (at least) its module code
        and call took, the allowances are not charged. Once T is final, the deadline leaves
        the limit half a T and a grace behind, so a run killed again is past it."""
        self._complete_reference()
        allowances = self._allowance(level, test) + self._allowance(level, test, module=True)
        return deadline - allowances <= self._limit()

    def _complete_reference(self) -> None:
        for level, weight in enumerate(self.spec.hardness):
            if weight:
                self._ensure_reference_reps(level, self.repetitions[level])

    def _failure(self, run: RunResult, level: int, number: int) -> SampleStatus | None:
        """The status that ends the sample, or None when the run's answer is accepted.

        An output whose bytes are those of one already accepted on this test decodes to the
        same value, so it is accepted without decoding or checking it again: a sample's
        repetitions, and the samples of a problem, mostly answer alike. Different bytes, a
        different answer on a later repetition included, are checked in full.

        An output the checker accepts is still a wrong answer if it holds a NaN where the
        answer holds none (see contains_nan), whatever the checker says: a checker blind to
        NaN would be bent by it. It is looked for only in an output the checker accepted, so
        not again for the same bytes; the answer is looked at once, the first time it matters.
        """
        if run.status != RunStatus.OK:
            return _RUN_FAILURES.get(run.status, SampleStatus.ERROR)
        accepted = self.accepted[level][number]
        digest = hashlib.blake2b(run.blob, digest_size=16).digest()
        if digest in accepted:
            return None
        test = self.tests.levels[level].tests[number]
        try:
            output = run.output
        except UnsafeOutput as exc:
            run.error = f"UnsafeOutput: {exc}"
            return SampleStatus.ERROR
        try:
            # Decoded for each check, so that one test's input at a time is in memory.
            passed = self.check(test.input(), test.answer, output)
        except Exception as exc:
            run.error = f"checker rejected the output: {_describe(exc)}"
            return SampleStatus.WRONG_ANSWER
        if not passed:
            return SampleStatus.WRONG_ANSWER
        if contains_nan(output) and not self._answer_has_nan(level, number):
            run.error = (f"WrongAnswer: NaN in the output where the answer has none, on level "
                         f"{level} test {number}")
            return SampleStatus.WRONG_ANSWER
        if len(accepted) < ACCEPTED_OUTPUTS_KEPT:
            accepted.add(digest)
        return None

    def _answer_has_nan(self, level: int, number: int) -> bool:
        known = self.answer_nan[level][number]
        if known is None:
            known = contains_nan(self.tests.levels[level].tests[number].answer)
            self.answer_nan[level][number] = known
        return known

    def finish_reference(self, needed: bool) -> list[list[float]]:
        """The reference's estimates per test; when `needed` (some sample has times on a
        weighted level), first completes its repetitions on every weighted level."""
        if needed:
            self._complete_reference()
        return self._reference_estimates()


def evaluate_problem(
    spec: ProblemSpec,
    codes: list[str],
    settings: EvalSettings,
    cache: CaseCache,
    *,
    sandbox: Sandbox,
    progress: Progress | None = None,
) -> ProblemEvaluation:
    """Evaluates one problem's samples in `sandbox`, which the caller opens (under its
    settings: isolation, zygotes) and may reuse for many problems."""
    started = time.monotonic()
    tests = cache.get(spec, settings.seed, lambda blobs: reference_answers(sandbox, spec, blobs))
    runner = ProblemRunner(spec, tests, settings, sandbox)
    runs = []
    for done, code in enumerate(codes, start=1):
        runs.append(runner.run_sample(code))
        if progress is not None:
            progress(done, len(codes))
    # Efficiencies need the reference only where a sample got past level 0.
    weighted = [level for level, weight in enumerate(spec.hardness) if weight]
    reference = runner.finish_reference(
        needed=any(len(run.times) > min(weighted, default=0) for run in runs)
    )
    hardness = list(spec.hardness)
    timeout = timeout_seconds(reference, hardness, settings.timeout_factor)
    samples = [
        score_sample(run, reference, hardness, timeout, settings.tolerance_seconds,
                     sandbox.isolation)
        for run in runs
    ]
    pass_at_k, eff_at_k = problem_metrics(
        [s.correct for s in samples], [s.efficiency for s in samples],
        [k for k in settings.ks if k <= len(samples)],
    )
    return ProblemEvaluation(
        task_id=spec.task_id,
        samples=samples,
        pass_at_k=pass_at_k,
        eff_at_k=eff_at_k,
        reference_times=[max(times) for times in reference],
        timeout=timeout,
        isolation=sandbox.isolation,
        wall_seconds=time.monotonic() - started,
        call_seconds=runner.call_seconds,
        repeated_runs=runner.repeated_runs,
    )


def validate_problem(spec: ProblemSpec, settings: EvalSettings, cache: CaseCache, *,
                     sandbox: Sandbox) -> list[str]:
    """Generates the tests, runs the reference (in `sandbox`) and the checker on them: what
    failed, if any."""
    try:
        checker = load_checker(spec)
        tests = cache.get(
            spec, settings.seed, lambda blobs: reference_answers(sandbox, spec, blobs)
        )
    except (EvaluationError, GenerationError) as exc:
        return [str(exc)]
    errors = []
    for level, tests_of_level in enumerate(tests.levels):
        for number, test in enumerate(tests_of_level.tests):
            try:
                accepted = checker(test.input(), test.answer, test.answer)
            except Exception as exc:
                accepted = False
                errors.append(
                    f"{spec.task_id}: checker raised on level {level} test {number}: "
                    f"{_describe(exc)}"
                )
                continue
            if accepted is not True:
                errors.append(
                    f"{spec.task_id}: checker rejects the reference's own answer on level "
                    f"{level} test {number}"
                )
    return errors
