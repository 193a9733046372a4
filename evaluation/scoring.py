"""ENAMEL's verdict and efficiency for one sample, from the timings a run produced.

Plain Python, no Django. Mirrors `enam.evaluate.Evaluator.evaluate1`: a failure on level 0
fails the sample; a timeout, memory or overflow error on a later level is right-censored
(that level and the later ones score 0, the sample still counts as correct).
"""

from dataclasses import dataclass, field

from evaluation.metrics import hodges_lehmann, level_efficiency, sample_efficiency
from evaluation.results import SampleResult, SampleStatus

# Errors ENAMEL treats like a timeout: the sample is too slow or too big, not wrong.
CENSORING_ERRORS = ("OverflowError",)


@dataclass
class SampleRun:
    """What running one sample produced, before scoring."""

    # times[level][test][repetition], trusted seconds, for the levels that completed.
    times: list[list[list[float]]] = field(default_factory=list)
    stop: SampleStatus | None = None  # what ended the run early, None if it ran through
    stop_level: int | None = None
    error: str = ""
    peak_memory: int = 0


def timeout_seconds(reference: list[list[float]], hardness: list[float], factor: float) -> float:
    """T = factor x the slowest reference test over the weighted levels."""
    return factor * max(
        max(tests) for tests, weight in zip(reference, hardness, strict=True) if weight
    )


def score_sample(
    run: SampleRun,
    reference: list[list[float]],
    hardness: list[float],
    timeout: float,
    tolerance: float,
    isolation: str,
) -> SampleResult:
    """`reference[level][test]` is the reference's time estimate (unused on 0-weight levels)."""
    n_levels = len(hardness)
    failed = SampleResult(
        status=run.stop or SampleStatus.ERROR,
        levels=[0.0] * n_levels,
        peak_memory=run.peak_memory,
        isolation=isolation,
        error=run.error,
        failed_level=run.stop_level,
    )
    stop, stop_level = run.stop, run.stop_level
    if stop == SampleStatus.ERROR and run.error.startswith(CENSORING_ERRORS):
        stop = SampleStatus.MEMORY
    levels: list[float] = []
    times: list[float | None] = []
    for level, tests in enumerate(run.times):
        # A repetition past T + tolerance is a timeout, as ENAMEL's alarm would have fired.
        if any(t > timeout + tolerance for reps in tests for t in reps):
            stop, stop_level = SampleStatus.TIMEOUT, level
            break
        estimates = [hodges_lehmann(reps) for reps in tests]
        slowest = max(estimates)
        times.append(slowest)
        levels.append(
            level_efficiency(slowest, max(reference[level]), timeout) if hardness[level] else 0.0
        )
    if stop in (SampleStatus.WRONG_ANSWER, SampleStatus.ERROR, SampleStatus.KILLED):
        failed.times = times
        return failed
    if stop in (SampleStatus.TIMEOUT, SampleStatus.MEMORY):
        if stop_level == 0:
            failed.status, failed.failed_level, failed.times = stop, 0, times
            failed.error = failed.error or f"{stop} on level 0"
            return failed
        levels = levels[:stop_level]
    levels += [0.0] * (n_levels - len(levels))
    return SampleResult(
        status=stop or SampleStatus.PASSED,
        correct=True,
        efficiency=sample_efficiency(levels, hardness),
        levels=levels,
        times=times + [None] * (n_levels - len(times)),
        peak_memory=run.peak_memory,
        isolation=isolation,
        error=run.error if stop else "",
        failed_level=stop_level if stop else None,
    )
