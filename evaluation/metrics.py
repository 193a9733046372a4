"""ENAMEL's metrics: timing estimate, per-level and per-sample efficiency, pass@k and eff@k.

Plain Python, no Django. Each function mirrors its counterpart in `enam.evaluate`
(ENAMEL, ICLR 2025) and raises ValueError with one line naming the bad argument.
"""

import math
import numbers
import statistics
from collections.abc import Iterable, Sequence


def hodges_lehmann(times: Sequence[float]) -> float:
    """Median of the pairwise means (i <= j, i == j included), as enam's `calc_exec_time`.

    Robust to the odd slow repetition without discarding data the way a minimum would.
    """
    if not times:
        raise ValueError("hodges_lehmann: no timings given")
    values = [_finite(t, "hodges_lehmann: timing") for t in times]
    return statistics.median(
        (values[i] + values[j]) / 2 for i in range(len(values)) for j in range(i, len(values))
    )


def level_efficiency(elapsed: float, reference: float, timeout: float) -> float:
    """max(0, T - t) / (T - r): 1 at the reference time r, 0 at the timeout T or beyond."""
    elapsed = _finite(elapsed, "level_efficiency: elapsed")
    reference = _finite(reference, "level_efficiency: reference")
    timeout = _finite(timeout, "level_efficiency: timeout")
    if timeout <= reference:
        raise ValueError(
            f"level_efficiency: timeout {timeout} must exceed the reference time {reference}"
        )
    return max(0.0, timeout - elapsed) / (timeout - reference)


def sample_efficiency(levels: Sequence[float], hardness: Sequence[float]) -> float:
    """Mean of the per-level efficiencies weighted by each level's hardness."""
    if len(levels) != len(hardness):
        raise ValueError(
            f"sample_efficiency: {len(levels)} level efficiencies but {len(hardness)} hardness "
            "weights"
        )
    weights = [_finite(h, "sample_efficiency: hardness") for h in hardness]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("sample_efficiency: hardness weights must be non-negative, not all 0")
    values = [_finite(e, "sample_efficiency: level efficiency") for e in levels]
    return sum(w * e for w, e in zip(weights, values, strict=True)) / sum(weights)


def pass_at_k(n: int, c: int, k: int) -> float:
    """HumanEval's unbiased pass@k, 1 - C(n-c, k) / C(n, k), as a product to stay stable."""
    _check_k(n, k, "pass_at_k")
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: c={c} correct samples must be between 0 and n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def eff_at_k(efficiencies: Sequence[float], k: int) -> float:
    """ENAMEL's unbiased eff@k: the expected best efficiency among k of the n samples.

    With the efficiencies sorted ascending, e_(i) is the best of a random k-subset with
    probability w_i = C(i-1, k-1) / C(n, k). Rather than forming binomials (which overflow
    floats for n = 200), start from w_n = k / n and step down with
    w_(i-1) = w_i * (i - k) / (i - 1).
    """
    values = [_finite(e, "eff_at_k: efficiency") for e in efficiencies]
    n = len(values)
    _check_k(n, k, "eff_at_k")
    # Only ranks n down to k can be the best of k samples.
    ranked = sorted(values, reverse=True)[: n - k + 1]
    weight = k / n
    total = 0.0
    for i, value in zip(range(n, k - 1, -1), ranked, strict=True):
        total += weight * value
        if i > k:
            weight *= (i - k) / (i - 1)
    return total


def problem_metrics(
    passed: Sequence[bool], efficiencies: Sequence[float], ks: Sequence[int]
) -> tuple[dict[int, float], dict[int, float]]:
    """pass@k and eff@k of one problem's samples, for every k in ks with k <= n.

    A sample that failed scores efficiency 0 whatever it was given, as ENAMEL defines it.
    """
    if len(passed) != len(efficiencies):
        raise ValueError(
            f"problem_metrics: {len(passed)} pass flags but {len(efficiencies)} efficiencies"
        )
    n = len(passed)
    if n == 0:
        raise ValueError("problem_metrics: no samples given")
    scores = [e if ok else 0.0 for ok, e in zip(passed, efficiencies, strict=True)]
    correct = sum(bool(ok) for ok in passed)
    usable = [k for k in _valid_ks(ks, "problem_metrics") if k <= n]
    return (
        {k: pass_at_k(n, correct, k) for k in usable},
        {k: eff_at_k(scores, k) for k in usable},
    )


def average_metrics(
    per_problem: Iterable[tuple[dict[int, float], dict[int, float]]],
    n_problems: int,
    ks: Sequence[int],
) -> dict[str, float]:
    """{"pass@k": ..., "eff@k": ...} averaged over n_problems, as enam's `Evaluator.evaluate`.

    Problems missing from per_problem score 0. A k is reported only when every given
    problem has it, i.e. k <= the smallest sample count (as enam restricts k to min n).
    """
    problems = list(per_problem)
    if n_problems < 1:
        raise ValueError(f"average_metrics: n_problems must be at least 1, got {n_problems}")
    if len(problems) > n_problems:
        raise ValueError(
            f"average_metrics: {len(problems)} problems given but n_problems is {n_problems}"
        )
    usable = [
        k
        for k in _valid_ks(ks, "average_metrics")
        if all(k in passes and k in effs for passes, effs in problems)
    ]
    metrics = {f"pass@{k}": sum(p[k] for p, _ in problems) / n_problems for k in usable}
    metrics.update({f"eff@{k}": sum(e[k] for _, e in problems) / n_problems for k in usable})
    return metrics


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _check_k(n: int, k: int, where: str) -> None:
    if not 1 <= k <= n:
        raise ValueError(f"{where}: k={k} must be between 1 and the number of samples n={n}")


def _valid_ks(ks: Sequence[int], where: str) -> list[int]:
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
        raise ValueError(f"{where}: every k must be a positive integer, got {list(ks)!r}")
    return sorted(set(ks))
