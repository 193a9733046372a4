"""Efficiency profiles on constructed timings: growth exponents, recovered reference times."""

import math

import pytest

from evaluation.metrics import level_efficiency
from evaluation.scoring import timeout_seconds
from leaderboard.standings import profiles

SIZES = (100, 10000, 20000, 40000)
HARDNESS = (0, 3, 3, 4)


def linear(size: int) -> float:
    return 2e-7 * size


def quadratic(size: int) -> float:
    return 1e-10 * size**2


def scored(times: list[float], reference: list[float]) -> list[float]:
    """The per-level efficiencies ENAMEL gives `times` against `reference` (level 0: 0)."""
    timeout = timeout_seconds([[r] for r in reference], list(HARDNESS), 2.0)
    return [
        level_efficiency(t, r, timeout) if weight else 0.0
        for t, r, weight in zip(times, reference, HARDNESS, strict=True)
    ]


def test_exponents_of_linear_and_quadratic_series():
    line = profiles.profile(SIZES, HARDNESS, [linear(n) for n in SIZES])
    square = profiles.profile(SIZES, HARDNESS, [quadratic(n) for n in SIZES])
    # Level 0 only checks correctness: it is not part of the profile.
    assert line.levels == (1, 2, 3) and line.sizes == (10000, 20000, 40000)
    assert line.exponent == pytest.approx(1.0)
    assert square.exponent == pytest.approx(2.0)
    assert square.steps == (pytest.approx(2.0), pytest.approx(2.0))


def test_exponent_needs_two_distinct_sizes():
    assert profiles.growth_exponent([1, 1, 1], [0.1, 0.2, 0.3]) is None
    assert profiles.growth_exponent([10, 100], [0.1, None]) is None
    # A level that did not finish (censored) leaves the others to fit.
    censored = profiles.profile(SIZES, HARDNESS, [0.001, 0.01, 0.04, None])
    assert censored.exponent == pytest.approx(2.0) and censored.steps[1] is None


def test_reference_times_recovered_from_a_samples_efficiencies():
    reference = [1e-5] + [linear(n) for n in SIZES[1:]]
    sample = [2e-5] + [1.5 * linear(n) for n in SIZES[1:]]
    recovered = profiles.reference_times(sample, scored(sample, reference), HARDNESS)
    assert recovered[0] is None
    assert recovered[1:] == [pytest.approx(r) for r in reference[1:]]
    # Also when the reference is slowest on a middle level, and the sample is faster.
    reference = [1e-5, 0.002, 0.009, 0.004]
    sample = [1e-5, 0.001, 0.008, 0.0035]
    recovered = profiles.reference_times(sample, scored(sample, reference), HARDNESS)
    assert recovered[1:] == [pytest.approx(r) for r in reference[1:]]


def test_no_reference_from_a_sample_with_a_zero_level():
    assert profiles.reference_times([0.1, 0.2, None, None], [0, 0.5, 0, 0], HARDNESS) is None


def test_quadratic_sample_against_linear_reference_is_an_algorithmic_loss():
    reference = [1e-5] + [linear(n) for n in SIZES[1:]]
    # Faster than the reference at 10,000, 1.8 times its time at 40,000 (past 2 times it
    # would time out: T is twice the reference's slowest time).
    slow = [1e-5] + [0.45 * linear(10000) * (n / 10000) ** 2 for n in SIZES[1:]]
    recovered = profiles.reference_times(slow, scored(slow, reference), HARDNESS)
    ref_profile = profiles.profile(SIZES, HARDNESS, recovered)
    slow_profile = profiles.profile(SIZES, HARDNESS, slow)
    assert ref_profile.exponent == pytest.approx(1.0)
    assert slow_profile.exponent == pytest.approx(2.0)
    assert profiles.time_ratios(slow, recovered) == [
        None, pytest.approx(0.45), pytest.approx(0.9), pytest.approx(1.8)
    ]
    assert profiles.loss_kind(slow_profile.exponent, ref_profile.exponent, 0.4) == "algorithmic"


def test_same_growth_slower_is_a_constant_factor():
    assert profiles.loss_kind(1.1, 1.0, 0.6) == profiles.CONSTANT
    assert profiles.loss_kind(1.1, 1.0, 1.05) == profiles.ON_PAR
    assert profiles.loss_kind(1.1, 1.0, 0.97) == profiles.ON_PAR  # within timing noise
    assert profiles.loss_kind(None, 1.0, 0.6) == profiles.UNKNOWN
    # The margin: O(n log n) against O(n) is not a different algorithm class here.
    n_log_n = profiles.growth_exponent(SIZES[1:], [n * math.log(n) for n in SIZES[1:]])
    assert profiles.loss_kind(n_log_n, 1.0, 0.8) == profiles.CONSTANT


def test_median_reference_over_samples():
    candidates = [None, [None, 1.0, 2.0], [None, 3.0, 4.0], [None, 2.0, 9.0]]
    assert profiles.median_reference(candidates) == [None, 2.0, 4.0]
    assert profiles.median_reference([None]) == []


def stored(times: list[float], reference: list[float], correct: bool = True) -> dict:
    levels = scored(times, reference) if correct else [0.0] * 4
    weights = sum(HARDNESS)
    return {
        "times": times if correct else times[:1],
        "levels": levels,
        "correct": correct,
        "efficiency": sum(e * w for e, w in zip(levels, HARDNESS, strict=True)) / weights,
    }


def test_problem_profiles_of_stored_samples():
    reference = [1e-5] + [linear(n) for n in SIZES[1:]]
    fast = [1e-5] + [0.9 * linear(n) for n in SIZES[1:]]
    slow = [1e-5] + [0.45 * linear(10000) * (n / 10000) ** 2 for n in SIZES[1:]]
    middling = [1e-5] + [1.3 * linear(n) for n in SIZES[1:]]
    samples = [stored(fast, reference), stored(slow, reference),
               stored([0.001], reference, correct=False), stored(middling, reference)]
    result = profiles.problem_profiles(SIZES, HARDNESS, samples)
    assert result.reference.exponent == pytest.approx(1.0)
    assert result.reference_times[1:] == tuple(pytest.approx(r) for r in reference[1:])
    assert [p.exponent for p in result.samples[:2]] == [pytest.approx(1.0), pytest.approx(2.0)]
    assert result.samples[2].exponent is None
    # Efficiencies: fast > middling > slow; the median of the three correct ones is middling.
    assert result.median == 3
    assert result.kind(1, samples[1]["efficiency"]) == profiles.ALGORITHMIC
    assert result.kind(3, samples[3]["efficiency"]) == profiles.CONSTANT
    assert result.kind(0, samples[0]["efficiency"]) == profiles.ON_PAR


def test_problem_profiles_without_a_correct_sample():
    result = profiles.problem_profiles(SIZES, HARDNESS, [stored([0.001], [1] * 4, correct=False)])
    assert result.reference is None and result.median is None
    assert result.kind(0, 0.0) == profiles.UNKNOWN
