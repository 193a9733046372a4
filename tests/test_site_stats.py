import numpy as np
import pytest

from leaderboard.standings.stats import (
    bootstrap_mean_ci,
    eff1_standard_error,
    overlap_ranks,
    wilson_interval,
    win_rates,
)


def test_bootstrap_interval_contains_mean_and_is_seeded():
    rng = np.random.default_rng(1)
    scores = rng.random((5, 142))
    low, high = bootstrap_mean_ci(scores)
    means = scores.mean(axis=1)
    assert np.all(low < means) and np.all(means < high)
    # Standard error of a mean of 142 uniforms is about 0.024: a 95% interval spans ~0.1.
    assert np.all((high - low > 0.05) & (high - low < 0.15))
    again_low, again_high = bootstrap_mean_ci(scores)
    assert np.array_equal(low, again_low) and np.array_equal(high, again_high)


def test_bootstrap_of_constant_scores_has_no_width():
    low, high = bootstrap_mean_ci(np.full((2, 10), 0.25))
    assert np.allclose(low, 0.25) and np.allclose(high, 0.25)


def test_bootstrap_resamples_problems_the_same_way_for_every_model():
    # Two identical rows must get identical intervals, whatever the draws.
    row = np.linspace(0, 1, 30)
    low, high = bootstrap_mean_ci(np.vstack([row, row]))
    assert low[0] == low[1] and high[0] == high[1]


def test_bootstrap_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        bootstrap_mean_ci(np.zeros(3))
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_mean_ci(np.zeros((1, 3)), confidence=1.5)


def test_bootstrap_of_no_problems_is_zero():
    low, high = bootstrap_mean_ci(np.zeros((3, 0)))
    assert low.tolist() == [0, 0, 0] and high.tolist() == [0, 0, 0]


def test_overlapping_intervals_share_a_rank():
    low = np.array([0.5, 0.6, 0.1, 0.05])
    high = np.array([0.7, 0.8, 0.3, 0.2])
    # 0 and 1 overlap; 2 and 3 overlap each other and lie below both of the first two.
    assert overlap_ranks(low, high).tolist() == [1, 1, 3, 3]


def test_separate_intervals_rank_in_order():
    low = np.array([0.1, 0.8, 0.5])
    high = np.array([0.2, 0.9, 0.7])
    assert overlap_ranks(low, high).tolist() == [3, 1, 2]


def test_touching_intervals_overlap():
    assert overlap_ranks(np.array([0.5, 0.3]), np.array([0.6, 0.5])).tolist() == [1, 1]


def test_win_rates_count_only_problems_both_solve_and_ties_half():
    efficiency = np.array(
        [
            [0.9, 0.5, 0.3, 0.7],
            [0.4, 0.5, 0.8, 0.0],
            [0.0, 0.0, 0.0, 0.6],
        ]
    )
    solved = np.array(
        [
            [True, True, True, True],
            [True, True, True, False],
            [False, False, False, True],
        ]
    )
    result = win_rates(efficiency, solved)
    rates, common = result.rates, result.common
    assert result.wins[0, 1] == 1 and result.ties[0, 1] == 1
    # 0 vs 1 on problems 0-2: win, tie, loss.
    assert common[0, 1] == 3 and rates[0, 1] == pytest.approx(1.5 / 3)
    assert rates[1, 0] == pytest.approx(1.5 / 3)
    # 0 vs 2 on problem 3 only: 0.7 > 0.6.
    assert common[0, 2] == 1 and rates[0, 2] == 1.0 and rates[2, 0] == 0.0
    # 1 and 2 solve nothing in common.
    assert common[1, 2] == 0 and np.isnan(rates[1, 2]) and np.isnan(rates[2, 1])
    assert np.isnan(np.diag(rates)).all()


def test_win_rates_of_a_pair_sum_to_one():
    rng = np.random.default_rng(7)
    efficiency = rng.random((6, 40)).round(1)  # rounding makes ties
    rates = win_rates(efficiency, rng.random((6, 40)) > 0.3, np.full((6, 40), 0.05)).rates
    off_diagonal = ~np.eye(6, dtype=bool)
    assert np.allclose((rates + rates.T)[off_diagonal], 1.0)


def test_win_rates_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="one shape"):
        win_rates(np.zeros((2, 3)), np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="one shape"):
        win_rates(np.zeros((2, 3)), np.zeros((2, 3), dtype=bool), np.zeros((2, 4)))


def test_differences_within_the_noise_are_ties():
    # The same samples re-run: every problem moved a little, one way or the other.
    first = np.array([[0.80, 0.42, 0.95, 0.10, 0.61, 0.33]])
    second = first + np.array([[0.03, -0.02, 0.04, 0.02, 0.03, 0.05]])
    efficiency = np.vstack([first, second])
    solved = np.ones_like(efficiency, dtype=bool)
    noisy = win_rates(efficiency, solved, np.full(efficiency.shape, 0.05))
    assert noisy.ties[0, 1] == 6 and noisy.wins[1, 0] == 0
    assert noisy.rates[1, 0] == 0.5 and noisy.rates[0, 1] == 0.5
    # Without a noise model the re-run looks like a 5-to-1 win.
    assert win_rates(efficiency, solved).rates[1, 0] == pytest.approx(5 / 6)


def test_a_clear_difference_wins_and_its_interval_says_how_sure():
    efficiency = np.array([[0.9] * 20, [0.3] * 20])
    result = win_rates(efficiency, np.ones((2, 20), dtype=bool), np.full((2, 20), 0.05))
    assert result.wins[0, 1] == 20 and result.rates[0, 1] == 1.0
    assert 0.8 < result.low[0, 1] < 0.9 and result.high[0, 1] == pytest.approx(1.0)
    assert result.high[1, 0] < 0.2


def test_wilson_interval_is_wide_for_few_problems():
    low, high = wilson_interval(np.array([0.5, 0.5]), np.array([2, 200]))
    assert low[0] < 0.1 and high[0] > 0.9
    assert 0.43 < low[1] < 0.5 < high[1] < 0.57
    low, high = wilson_interval(np.array([np.nan]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_standard_error_combines_sample_spread_with_rerun_noise():
    assert eff1_standard_error([0.7], floor=0.05) == pytest.approx(0.05)
    assert eff1_standard_error([0.7, 0.7, 0.7], floor=0.05) == pytest.approx(0.05)
    # Samples 0 and 1: variance 0.5, over n = 2.
    assert eff1_standard_error([0.0, 1.0], floor=0.0) == pytest.approx(0.5)
    assert eff1_standard_error([0.0, 1.0], floor=0.5) == pytest.approx(np.sqrt(0.5))
