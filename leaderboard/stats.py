"""The leaderboard's statistics: bootstrap intervals, tie-aware ranks and win rates.

Plain numpy, no Django, so every figure on the site can be checked by hand in a unit test.
"""

import numpy as np

# Fixed so that a page shows the same interval on every load for the same results.
BOOTSTRAP_SEED = 20250101
BOOTSTRAP_RESAMPLES = 1000


def bootstrap_mean_ci(
    scores: np.ndarray,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each row's mean, resampling columns (problems).

    Every row is resampled with the same draws, so two models are compared on the same
    pseudo-benchmarks. The draws are kept as per-problem counts: one (rows x problems) by
    (problems x resamples) product instead of a rows x resamples x problems array, which is
    what keeps 500 models x 142 problems cheap.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"bootstrap_mean_ci: scores must be 2-D, got shape {scores.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"bootstrap_mean_ci: confidence must be in (0, 1), got {confidence}")
    rows, problems = scores.shape
    if problems == 0:
        empty = np.zeros(rows)
        return empty, empty.copy()
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(problems, np.full(problems, 1 / problems), size=resamples)
    means = scores @ counts.T / problems
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail], axis=1)
    return low, high


def overlap_ranks(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """1 + the number of entries whose whole interval lies above this one's.

    Entries whose intervals overlap cannot be told apart, so they may share a rank; the
    ranks need not be consecutive (1, 1, 3, …), as in Chatbot Arena's leaderboard.
    """
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    if low.shape != high.shape or low.ndim != 1:
        raise ValueError("overlap_ranks: low and high must be 1-D arrays of the same length")
    # For each upper bound, count the lower bounds strictly above it.
    ordered = np.sort(low)
    above = len(ordered) - np.searchsorted(ordered, high, side="right")
    return 1 + above


def win_rates(efficiency: np.ndarray, solved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise win rates over the problems both models solve (EvalPerf's comparison).

    efficiency and solved are (models x problems). For models a and b, the problems
    considered are those both solve; a wins one where its efficiency is higher, and a tie
    counts half. Returns (rates, common): rates[a, b] is a's share of wins over b (NaN when
    they share no solved problem, and on the diagonal) and common[a, b] the number of
    problems the rate is over.
    """
    eff = np.asarray(efficiency, dtype=float)
    both = np.asarray(solved, dtype=bool).astype(float)
    if eff.shape != both.shape or eff.ndim != 2:
        raise ValueError("win_rates: efficiency and solved must be 2-D arrays of one shape")
    common = both @ both.T
    wins = np.zeros_like(common)
    # One row at a time: models x problems memory rather than models² x problems.
    for a in range(len(eff)):
        diff = eff[a] - eff
        wins[a] = (((diff > 0) + 0.5 * (diff == 0)) * both[a] * both).sum(axis=1)
    rates = np.divide(wins, common, out=np.full_like(wins, np.nan), where=common > 0)
    np.fill_diagonal(rates, np.nan)
    return rates, common.astype(int)
