import pytest
from enam.evaluate import calc_eff, calc_exec_time

from evaluation import results
from evaluation.results import SampleStatus
from evaluation.scoring import SampleRun, score_sample, timeout_seconds

HARDNESS = [0.0, 3.0, 3.0, 4.0]
# reference[level][test]: the reference's estimate per test (level 0 is unweighted)
REFERENCE = [[0.001] * 2, [0.010, 0.012], [0.020, 0.025], [0.050, 0.040]]
TIMEOUT = timeout_seconds(REFERENCE, HARDNESS, 2.0)
TOLERANCE = 0.01


def times(per_level_test_reps):
    return [[list(reps) for reps in level] for level in per_level_test_reps]


def full_run(scale: float) -> SampleRun:
    return SampleRun(
        times=times(
            [
                [[t * scale] * (1 if level == 0 else 6) for t in tests]
                for level, tests in enumerate(REFERENCE)
            ]
        ),
        peak_memory=123,
    )


def score(run: SampleRun) -> results.SampleResult:
    return score_sample(run, REFERENCE, HARDNESS, TIMEOUT, TOLERANCE, "bubblewrap")


def test_timeout_is_factor_times_slowest_weighted_reference():
    assert TIMEOUT == pytest.approx(2 * 0.050)


def test_as_fast_as_the_reference_scores_one():
    result = score(full_run(1.0))
    assert result.status == SampleStatus.PASSED and result.correct
    assert result.levels == pytest.approx([0.0, 1.0, 1.0, 1.0])
    assert result.efficiency == pytest.approx(1.0)
    assert result.peak_memory == 123 and result.isolation == "bubblewrap"


def test_slower_sample_matches_enam_level_by_level():
    run = full_run(1.5)
    result = score(run)
    expected = [0.0] + [
        calc_eff(
            max(calc_exec_time(reps).item() for reps in run.times[level]),
            max(REFERENCE[level]),
            TIMEOUT,
        )
        for level in (1, 2, 3)
    ]
    assert result.levels == pytest.approx(expected)
    assert result.efficiency == pytest.approx(
        sum(h * e for h, e in zip(HARDNESS, expected, strict=True)) / 10
    )
    assert result.times[3] == pytest.approx(0.050 * 1.5)


def test_wrong_answer_on_a_later_level_fails_the_sample():
    run = full_run(1.0)
    run.times = run.times[:2]
    run.stop, run.stop_level = SampleStatus.WRONG_ANSWER, 2
    run.error = "wrong answer on level 2 test 0"
    result = score(run)
    assert result.status == SampleStatus.WRONG_ANSWER and not result.correct
    assert result.efficiency == 0.0 and result.levels == [0.0] * 4
    assert result.failed_level == 2 and "level 2" in result.error


@pytest.mark.parametrize("status", [SampleStatus.TIMEOUT, SampleStatus.MEMORY])
def test_timeout_or_memory_on_a_later_level_is_censored(status):
    run = full_run(1.0)
    run.times = run.times[:2]
    run.stop, run.stop_level = status, 2
    result = score(run)
    assert result.correct and result.status == status and result.failed_level == 2
    assert result.levels == pytest.approx([0.0, 1.0, 0.0, 0.0])
    assert result.efficiency == pytest.approx(0.3)
    assert result.times[2:] == [None, None]


@pytest.mark.parametrize("status", [SampleStatus.TIMEOUT, SampleStatus.MEMORY])
def test_timeout_or_memory_on_level_zero_fails(status):
    result = score(SampleRun(stop=status, stop_level=0))
    assert not result.correct and result.status == status and result.efficiency == 0.0


def test_a_repetition_past_the_timeout_censors_its_level_after_the_fact():
    run = full_run(1.0)
    run.times[3][1][4] = TIMEOUT + TOLERANCE + 0.001  # one slow repetition on level 3
    result = score(run)
    assert result.correct and result.status == SampleStatus.TIMEOUT and result.failed_level == 3
    assert result.levels == pytest.approx([0.0, 1.0, 1.0, 0.0])


def test_slow_but_within_tolerance_scores_zero_on_that_level_without_censoring():
    run = full_run(1.0)
    run.times[2] = [[TIMEOUT + TOLERANCE / 2] * 6 for _ in run.times[2]]
    result = score(run)
    assert result.status == SampleStatus.PASSED
    assert result.levels == pytest.approx([0.0, 1.0, 0.0, 1.0])


def test_a_timeout_before_a_later_wrong_answer_wins_as_enamel_stops_there():
    run = full_run(1.0)
    run.times[1][0][0] = 1.0  # ENAMEL's alarm would have fired here, on level 1
    run.times = run.times[:3]
    run.stop, run.stop_level = SampleStatus.WRONG_ANSWER, 3
    result = score(run)
    assert result.correct and result.status == SampleStatus.TIMEOUT and result.failed_level == 1


def test_overflow_error_is_censored_like_enamel():
    run = full_run(1.0)
    run.times = run.times[:3]
    run.stop, run.stop_level, run.error = SampleStatus.ERROR, 3, "OverflowError: int too large"
    result = score(run)
    assert result.correct and result.failed_level == 3 and "OverflowError" in result.error


@pytest.mark.parametrize("status", [SampleStatus.ERROR, SampleStatus.KILLED])
def test_errors_and_kills_fail(status):
    result = score(SampleRun(stop=status, stop_level=1, error="ZeroDivisionError: division"))
    assert not result.correct and result.status == status and result.efficiency == 0.0
