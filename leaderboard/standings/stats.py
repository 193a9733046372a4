"""The leaderboard's statistics: bootstrap intervals, tie-aware ranks, noise-aware win rates.

Plain numpy, no Django, so every figure on the site can be checked by hand in a unit test.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Fixed so that a page shows the same interval on every load for the same results.
BOOTSTRAP_SEED = 20250101
BOOTSTRAP_RESAMPLES = 1000
# One standard deviation of a problem's eff@1 between re-runs of the same samples: measured
# at 0.01 (median) and up to 0.08 per problem on an idle 2-core machine (BENCHMARKS.md
# section 5), more on a busy one. A pairwise comparison calls closer differences ties.
RERUN_NOISE = 0.05
TIE_Z = 1.96  # two-sided 95%


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


def eff1_standard_error(efficiencies: Sequence[float], floor: float = RERUN_NOISE) -> float:
    """Standard error of one problem's eff@1, the mean of its n sample efficiencies.

    The spread between the samples (s / sqrt(n)) covers which samples a model happened to
    write; `floor` adds what re-running the same samples moves a problem's eff@1 by, which
    one sample (n = 1) or identical samples cannot show.
    """
    values = np.asarray(efficiencies, dtype=float)
    spread = values.var(ddof=1) / len(values) if len(values) > 1 else 0.0
    return float(np.sqrt(spread + floor**2))


@dataclass(frozen=True)
class WinRates:
    """Pairwise comparison of models a (row) and b (column) over the problems both solve."""

    rates: np.ndarray  # a's wins plus half its ties, over common; NaN without common problems
    low: np.ndarray  # Wilson interval of the rate
    high: np.ndarray
    wins: np.ndarray  # problems a wins beyond the noise
    ties: np.ndarray  # problems within the noise
    common: np.ndarray  # problems both solve


def win_rates(
    efficiency: np.ndarray,
    solved: np.ndarray,
    noise: np.ndarray | None = None,
    z: float = TIE_Z,
) -> WinRates:
    """Pairwise win rates over the problems both models solve (EvalPerf's comparison).

    efficiency, solved and noise (the standard error of each efficiency, see
    eff1_standard_error) are (models x problems). For models a and b, the problems
    considered are those both solve; a wins one where its efficiency is higher by more than
    z standard errors of the difference, anything closer is a tie and counts half. Without
    `noise` only exact equality ties.
    """
    eff = np.asarray(efficiency, dtype=float)
    both = np.asarray(solved, dtype=bool).astype(float)
    variance = np.zeros_like(eff) if noise is None else np.asarray(noise, dtype=float) ** 2
    if eff.shape != both.shape or eff.shape != variance.shape or eff.ndim != 2:
        raise ValueError("win_rates: efficiency, solved and noise must be 2-D arrays of one shape")
    common = both @ both.T
    wins = np.zeros_like(common)
    ties = np.zeros_like(common)
    # One row at a time: models x problems memory rather than models² x problems.
    for a in range(len(eff)):
        diff = eff[a] - eff
        margin = z * np.sqrt(variance[a] + variance)
        counted = both[a] * both
        wins[a] = ((diff > margin) * counted).sum(axis=1)
        ties[a] = ((np.abs(diff) <= margin) * counted).sum(axis=1)
    score = wins + 0.5 * ties
    rates = np.divide(score, common, out=np.full_like(score, np.nan), where=common > 0)
    np.fill_diagonal(rates, np.nan)
    low, high = wilson_interval(rates, common, z)
    return WinRates(rates, low, high, wins.astype(int), ties.astype(int), common.astype(int))


def wilson_interval(
    rate: np.ndarray, count: np.ndarray, z: float = TIE_Z
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share observed over `count` trials (NaN where count is 0).

    Unlike the normal approximation it stays inside [0, 1] and is wide for a few problems.
    """
    p = np.asarray(rate, dtype=float)
    n = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half
