import math
from itertools import pairwise

import enam
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.metrics import (
    average_metrics,
    eff_at_k,
    hodges_lehmann,
    level_efficiency,
    pass_at_k,
    problem_metrics,
    sample_efficiency,
)

unit = st.floats(min_value=0.0, max_value=1.0)
efficiency_lists = st.lists(unit, min_size=1, max_size=200)


@st.composite
def efficiencies_and_k(draw):
    efficiencies = draw(efficiency_lists)
    return efficiencies, draw(st.integers(1, len(efficiencies)))


@st.composite
def n_c_k(draw):
    n = draw(st.integers(1, 200))
    return n, draw(st.integers(0, n)), draw(st.integers(1, n))


@given(n_c_k())
def test_pass_at_k_matches_enam(args):
    n, c, k = args
    assert pass_at_k(n, c, k) == pytest.approx(enam.calc_pass_at_k(n, c, k), abs=1e-9)


@given(efficiencies_and_k())
def test_eff_at_k_matches_enam(args):
    efficiencies, k = args
    assert eff_at_k(efficiencies, k) == pytest.approx(enam.calc_eff_at_k(efficiencies, k), abs=1e-9)


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_eff_at_k_of_perfect_samples_is_one(args):
    n, k = args
    assert eff_at_k([1.0] * n, k) == pytest.approx(1.0, abs=1e-9)


@given(efficiency_lists)
def test_eff_at_k_is_monotone_in_k_from_mean_to_max(efficiencies):
    values = [eff_at_k(efficiencies, k) for k in range(1, len(efficiencies) + 1)]
    assert values[0] == pytest.approx(sum(efficiencies) / len(efficiencies), abs=1e-9)
    assert values[-1] == pytest.approx(max(efficiencies), abs=1e-9)
    assert all(a <= b + 1e-9 for a, b in pairwise(values))


@given(st.lists(st.floats(min_value=1e-6, max_value=10.0), min_size=1, max_size=12))
def test_hodges_lehmann_matches_enam(times):
    assert hodges_lehmann(times) == pytest.approx(enam.calc_exec_time(times), rel=1e-12)


@pytest.mark.parametrize(
    "times, expected",
    [([4.0], 4.0), ([1.0, 10.0], 5.5), ([1.0, 2.0, 3.0], 2.0), ([1.0, 2.0, 3.0, 100.0], 2.75)],
)
def test_hodges_lehmann_by_hand(times, expected):
    assert hodges_lehmann(times) == expected


@pytest.mark.parametrize(
    "elapsed, expected", [(0.5, 1.25), (1.0, 1.0), (2.0, 0.5), (3.0, 0.0), (5.0, 0.0)]
)
def test_level_efficiency_by_hand(elapsed, expected):
    assert level_efficiency(elapsed, reference=1.0, timeout=3.0) == expected


def test_sample_efficiency_weights_by_hardness():
    assert sample_efficiency([1.0, 0.5, 0.5, 0.0], [0, 3, 3, 4]) == pytest.approx(0.3)


@pytest.mark.parametrize(
    "n, c, k, expected", [(5, 2, 1, 0.4), (5, 2, 2, 0.7), (5, 4, 2, 1.0), (5, 0, 3, 0.0)]
)
def test_pass_at_k_by_hand(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize("k, expected", [(1, 0.5), (2, 0.7), (3, 0.8)])
def test_eff_at_k_by_hand(k, expected):
    # Best of each pair of {0.2, 0.8, 0.5}: 0.8, 0.5, 0.8, mean 0.7.
    assert eff_at_k([0.2, 0.8, 0.5], k) == pytest.approx(expected)


def test_problem_metrics_zeroes_failed_samples_and_drops_large_k():
    passes, effs = problem_metrics([True, False, True], [0.5, 0.9, 1.0], [1, 2, 10])
    assert passes == pytest.approx({1: 2 / 3, 2: 1.0})
    # Scores 0.5, 0, 1: best of each pair 0.5, 1, 1.
    assert effs == pytest.approx({1: 0.5, 2: 2.5 / 3})


def test_average_metrics_counts_missing_problems_as_zero_and_keeps_common_k():
    per_problem = [({1: 1.0, 10: 1.0}, {1: 0.6, 10: 0.9}), ({1: 0.5}, {1: 0.2})]
    metrics = average_metrics(per_problem, n_problems=4, ks=[1, 10])
    assert metrics == pytest.approx({"pass@1": 1.5 / 4, "eff@1": 0.8 / 4})
    assert list(metrics) == ["pass@1", "eff@1"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: hodges_lehmann([]), "hodges_lehmann: no timings given"),
        (lambda: hodges_lehmann([1.0, math.nan]), "hodges_lehmann: timing must be a finite"),
        (lambda: level_efficiency(1.0, 2.0, 2.0), "level_efficiency: timeout 2.0 must exceed"),
        (lambda: sample_efficiency([1.0], [1, 2]), "sample_efficiency: 1 level efficiencies"),
        (lambda: sample_efficiency([1.0, 1.0], [0, 0]), "sample_efficiency: hardness weights"),
        (lambda: pass_at_k(5, 6, 1), "pass_at_k: c=6 correct samples"),
        (lambda: pass_at_k(5, 2, 6), "pass_at_k: k=6 must be between 1 and"),
        (lambda: eff_at_k([0.5], 0), "eff_at_k: k=0 must be between 1 and"),
        (lambda: eff_at_k(["x"], 1), "eff_at_k: efficiency must be a finite number, got 'x'"),
        (lambda: problem_metrics([True], [1.0, 1.0], [1]), "problem_metrics: 1 pass flags"),
        (lambda: problem_metrics([], [], [1]), "problem_metrics: no samples given"),
        (lambda: problem_metrics([True], [1.0], [0]), "problem_metrics: every k must be"),
        (lambda: average_metrics([], 0, [1]), "average_metrics: n_problems must be at least 1"),
        (lambda: average_metrics([({}, {})] * 2, 1, [1]), "average_metrics: 2 problems given"),
    ],
)
def test_bad_arguments_raise_one_line_value_errors(call, message):
    with pytest.raises(ValueError) as raised:
        call()
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
