"""Evaluates the samples of one problem: tests from the cache, every run in the sandbox.

Plain Python, no Django (evaluation.api is the Django-aware door). The reference solution is
timed here, in the same sandbox and interleaved repetition by repetition with the samples,
so the efficiency ratio holds on a slow or noisy machine.

A repetition of a level is one sandbox run: a fresh child runs the program's module code, then
calls it on each of the level's tests in order. So nothing carries over from one repetition
to the next, while the tests of one repetition share the process as they would in ENAMEL's.
A test's first call in a child pays for everything the program sets up lazily, and a level's
time is its slowest test's: work a sample defers to its first call is charged in full.
"""

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from evaluation import results
from evaluation.cache import Case, CaseCache, ProblemCases
from evaluation.metrics import hodges_lehmann, problem_metrics
from evaluation.sandbox import RunResult, Sandbox
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
# What a run may spend outside the call (input decoding, output encoding, pipes, scheduling)
# beyond the reference's largest overhead on the same test, before the excess counts as the
# sample's time.
OVERHEAD_SLACK = 1.25
OVERHEAD_FLOOR_SECONDS = 0.0002
# The allowance on levels the reference is not timed on (weight 0: only pass or fail counts).
UNTIMED_OVERHEAD_SECONDS = 0.002

Progress = Callable[[int, int], None]
_RUN_FAILURES = {"timeout": results.TIMEOUT, "memory": results.MEMORY, "killed": results.KILLED}


class EvaluationError(Exception):
    """The problem itself cannot be evaluated (broken generator, reference or checker)."""


def load_checker(spec: ProblemSpec) -> Callable[[object, object, object], bool]:
    # As ENAMEL does: the prompt first (its imports), its stub closed with `pass`.
    scope: dict = {}
    try:
        exec(f"{spec.prompt}\n    pass\n{spec.checker}\n", scope)  # noqa: S102 - problem data
        return scope["__check"]
    except Exception as exc:
        raise EvaluationError(f"{spec.task_id}: checker does not load: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def call_time(run: RunResult) -> float:
    """The call's duration by its own clock, never more than the zygote's wall clock saw."""
    return min(run.call_seconds, run.wall_seconds)


def reference_answers(
    sandbox: Sandbox, spec: ProblemSpec, blobs: list[bytes]
) -> list[tuple[object, float]]:
    runs = sandbox.run_calls(
        spec.reference_program, spec.entry_point,
        [(blob, REFERENCE_TIMEOUT_SECONDS) for blob in blobs],
    )
    for number, run in enumerate(runs):
        if run.status != "ok":
            raise EvaluationError(
                f"{spec.task_id}: reference solution failed on a test ({number}): "
                f"{run.status} {run.error}".strip()
            )
    return [(run.output, call_time(run)) for run in runs]


@dataclass
class _ReferenceTimes:
    """The reference's timings per test, repetition by repetition as the samples need them."""

    reps: list[list[list[float]]]
    overhead: list[list[list[float]]]  # time each run of this test spent outside the call


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
        self.repetitions = [settings.repetitions if h else 1 for h in spec.hardness]
        shape = [[[] for _ in level.tests] for level in tests.levels]
        self.reference = _ReferenceTimes(
            reps=shape,
            overhead=[[[] for _ in level.tests] for level in tests.levels],
        )
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
            if run.status != "ok":
                raise EvaluationError(
                    f"{self.spec.task_id}: reference solution failed on level {level} test "
                    f"{test}: {run.status} {run.error}".strip()
                )
            self.reference.overhead[level][test].append(
                max(0.0, run.wall_seconds - run.call_seconds)
            )
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

    def _allowance(self, level: int, test: int) -> float:
        overhead = self.reference.overhead[level][test]
        if not overhead:  # a level of weight 0: the reference is not timed there
            return UNTIMED_OVERHEAD_SECONDS
        # The largest, not a typical, overhead: on a loaded machine the reference's runs show
        # how much scheduling alone adds, and an honest sample must not be charged for that.
        return max(overhead) * OVERHEAD_SLACK + OVERHEAD_FLOOR_SECONDS

    def _trusted_times(self, runs: list[RunResult], level: int, test: int) -> list[float]:
        """The repetitions' times, as precise as the call's own clock and as honest as the
        zygote's wall clock.

        The call's clock lives in the sample's process, which could fake it; the zygote's
        cannot be fooled but also counts decoding, encoding and scheduling. Where the wall
        clock's estimate exceeds the call clock's by more than the reference's overhead on
        this test, the difference is added to every repetition. Estimates over all
        repetitions, not single runs, keep scheduling noise out of honest samples' times.
        On a level of weight 0 only ENAMEL's timeout matters, which the zygote's hard kill
        enforces: there a single noisy wall time must not fail an honest sample.
        """
        calls = [call_time(run) for run in runs]
        if not self.spec.hardness[level]:
            return calls
        walls = [run.wall_seconds for run in runs]
        unexplained = hodges_lehmann(walls) - self._allowance(level, test) - hodges_lehmann(calls)
        return [call + max(0.0, unexplained) for call in calls]

    def _ensure_reference_reps(self, level: int, count: int) -> None:
        while len(self.reference.reps[level][0]) < count:
            self._run_reference(level)
            self._timeout = None

    def _deadline(self, level: int, test: int) -> float:
        """When the sandbox kills a call: well past ENAMEL's limit as estimated so far."""
        return (
            KILL_MARGIN * self._timeout_estimate()
            + self.settings.tolerance_seconds
            + self._allowance(level, test)
            + KILL_GRACE_SECONDS
        )

    def run_sample(self, code: str) -> SampleRun:
        program = self.spec.sample_program(code)
        outcome = SampleRun()
        for level, tests in enumerate(self.tests.levels):
            weighted = bool(self.spec.hardness[level])
            runs: list[list[RunResult]] = [[] for _ in tests.tests]
            for repetition in range(self.repetitions[level]):
                # Interleaved in ABBA order (reference, sample, sample, reference, ...): each
                # side goes first equally often, and, where the sandbox alternates between two
                # zygotes, runs equally often in each of them.
                reference_first = repetition % 2 == 0
                if weighted and reference_first:
                    self._ensure_reference_reps(level, repetition + 1)
                if not self._run_repetition(program, level, runs, outcome):
                    return outcome
                if weighted and not reference_first:
                    self._ensure_reference_reps(level, repetition + 1)
            outcome.times.append(
                [self._trusted_times(reps, level, test) for test, reps in enumerate(runs)]
            )
        return outcome

    def _run_repetition(self, program: str, level: int, runs: list[list[RunResult]],
                        outcome: SampleRun) -> bool:
        """One repetition of the sample on `level`'s tests, each accepted run appended to
        `runs[test]`; False once the sample is stopped, `outcome` saying why."""
        tests = self.tests.levels[level].tests
        done = 0
        while done < len(tests):
            # A call past ENAMEL's limit as estimated so far ends the child's calls; should the
            # final limit let it pass, the tests left get a child of their own.
            batch = self._run_level(
                program, level, done,
                [self._deadline(level, test) for test in range(done, len(tests))],
                stop_after=self._timeout_estimate() + self.settings.tolerance_seconds,
            )
            for number, run in enumerate(batch, start=done):
                outcome.peak_memory = max(outcome.peak_memory, run.peak_memory)
                # Before the answer is checked: ENAMEL's alarm would have fired first.
                if run.status == "ok" and self._over_time_limit(run):
                    failure = results.TIMEOUT
                else:
                    failure = self._failure(run, tests[number])
                if failure is not None:
                    outcome.stop, outcome.stop_level = failure, level
                    outcome.error = run.error or f"{failure} on level {level} test {number}"
                    return False
                run.output = None  # checked: only its times are kept, for all repetitions
                runs[number].append(run)
            done += len(batch)
        return True

    def _over_time_limit(self, run: RunResult) -> bool:
        """Whether this one repetition took longer than ENAMEL's limit, T + tolerance.

        ENAMEL's alarm stops a sample at such a repetition, and scoring censors its level
        whatever the others show (its trusted time is at least this), so running on would
        only waste time. Judged against the final T: the reference's repetitions are
        completed first, so that a low early estimate of T never stops a sample.
        """
        seconds = call_time(run)
        if seconds <= self._timeout_estimate() + self.settings.tolerance_seconds:
            return False
        self._complete_reference()
        return seconds > self._timeout_estimate() + self.settings.tolerance_seconds

    def _complete_reference(self) -> None:
        for level, weight in enumerate(self.spec.hardness):
            if weight:
                self._ensure_reference_reps(level, self.repetitions[level])

    def _failure(self, run: RunResult, test: Case) -> str | None:
        """The status that ends the sample, or None when the run's answer is accepted."""
        if run.status != "ok":
            return _RUN_FAILURES.get(run.status, results.ERROR)
        try:
            # Decoded for each check, so that one test's input at a time is in memory.
            accepted = self.check(test.input(), test.answer, run.output)
        except Exception as exc:
            run.error = f"checker rejected the output: {_describe(exc)}"
            return results.WRONG_ANSWER
        return None if accepted else results.WRONG_ANSWER

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
    progress: Progress | None = None,
    sandbox: Sandbox | None = None,
) -> results.ProblemEvaluation:
    """Evaluates one problem's samples; in `sandbox` if given (a caller evaluating many
    problems saves starting one per problem), else in a sandbox of its own."""
    started = time.monotonic()
    with contextlib.nullcontext(sandbox) if sandbox else Sandbox(
        memory_bytes=settings.memory_bytes
    ) as sandbox:
        tests = cache.get(
            spec, settings.seed, lambda blobs: reference_answers(sandbox, spec, blobs)
        )
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
    return results.ProblemEvaluation(
        task_id=spec.task_id,
        samples=samples,
        pass_at_k=pass_at_k,
        eff_at_k=eff_at_k,
        reference_times=[max(times) for times in reference],
        timeout=timeout,
        isolation=sandbox.isolation,
        wall_seconds=time.monotonic() - started,
        call_seconds=runner.call_seconds,
    )


def validate_problem(spec: ProblemSpec, settings: EvalSettings, cache: CaseCache) -> list[str]:
    """Generates the tests, runs the reference and the checker on them: what failed, if any."""
    try:
        checker = load_checker(spec)
        with Sandbox(memory_bytes=settings.memory_bytes) as sandbox:
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
