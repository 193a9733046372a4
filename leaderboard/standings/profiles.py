"""Efficiency profiles: how a program's running time grows with the size of its input.

ENAMEL times every sample on levels of growing input size. The slope of log(time) against
log(size) between levels is an empirical growth exponent: about 1 for a linear program,
2 for a quadratic one. A sample whose exponent is clearly above the reference's uses a worse
algorithm; one with the same exponent but more time loses a constant factor.

Plain Python, no Django. The reference's times are not stored with the results, but every
correct sample's per-level efficiency e = (T - t) / (T - r) (ENAMEL's, with T = factor x the
slowest reference time over the weighted levels) pins them down together with its own time t:
reference_times() solves for them.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# A sample's exponent must exceed the reference's by more than this to count as a worse
# algorithm: O(n^2) against O(n) differs by 1, O(n log n) against O(n) by about 0.1 on
# ENAMEL's sizes, and timing noise moves an exponent by about 0.1-0.2 between levels whose
# sizes differ by 1.5-2 times.
MARGIN = 0.5
# A sample this efficient is as fast as the reference within timing noise: no loss to explain.
ON_PAR_EFFICIENCY = 0.95
ALGORITHMIC = "algorithmic"  # grows faster than the reference
CONSTANT = "constant factor"  # grows alike, but slower
ON_PAR = "on par"  # grows alike, within 5% of the reference's efficiency or faster
UNKNOWN = "unknown"  # fewer than two timed levels to fit
KINDS = (ALGORITHMIC, CONSTANT, ON_PAR, UNKNOWN)
_RELATIVE = 1e-6  # float slack when checking the solved reference times


@dataclass(frozen=True)
class Profile:
    """Times on the timed levels (hardness > 0) and the exponents between them."""

    levels: tuple[int, ...]  # level numbers
    sizes: tuple[int, ...]
    times: tuple[float | None, ...]  # None where the level did not finish
    steps: tuple[float | None, ...]  # exponent between each pair of consecutive levels
    exponent: float | None  # least-squares slope over every level with a time


def growth_exponent(sizes: Sequence[float], times: Sequence[float | None]) -> float | None:
    """Least-squares slope of log(time) on log(size); None without two distinct sizes."""
    points = [
        (math.log(size), math.log(time))
        for size, time in zip(sizes, times, strict=True)
        if time is not None and time > 0 and size > 0
    ]
    xs = [x for x, _ in points]
    if len(set(xs)) < 2:
        return None
    mean_x = sum(xs) / len(xs)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def profile(
    sizes: Sequence[int], hardness: Sequence[float], times: Sequence[float | None]
) -> Profile:
    """The profile over the timed levels; `times` has one entry per level (None: not run)."""
    timed = [level for level, weight in enumerate(hardness) if weight > 0]
    level_times = [times[level] if level < len(times) else None for level in timed]
    level_sizes = [sizes[level] for level in timed]
    steps = tuple(
        growth_exponent(level_sizes[i : i + 2], level_times[i : i + 2])
        for i in range(len(timed) - 1)
    )
    return Profile(
        levels=tuple(timed),
        sizes=tuple(level_sizes),
        times=tuple(level_times),
        steps=steps,
        exponent=growth_exponent(level_sizes, level_times),
    )


def reference_times(
    times: Sequence[float | None],
    levels: Sequence[float],
    hardness: Sequence[float],
    factor: float = 2.0,
) -> list[float | None] | None:
    """The reference's (slowest-test) time per level that scored this sample, or None.

    Needs a positive efficiency on every weighted level. T is found by trying each level m
    as the reference's slowest (r_m = T / factor, so T = t_m / (1 - e_m / factor)) and
    keeping the m whose solved times r_l = T - (T - t_l) / e_l indeed peak at m. Levels of
    hardness 0 have no efficiency: their time is None.
    """
    weighted = [level for level, weight in enumerate(hardness) if weight > 0]
    if not weighted:
        return None
    timed: dict[int, float] = {}  # the weighted levels' times, all needed
    for level in weighted:
        time = times[level] if level < len(times) else None
        if level >= len(levels) or not levels[level] > 0 or time is None:
            return None
        timed[level] = time
    for peak in weighted:
        share = levels[peak] / factor
        if share >= 1:
            continue
        timeout = timed[peak] / (1 - share)
        solved = {
            level: timeout - (timeout - timed[level]) / levels[level] for level in weighted
        }
        if all(r <= solved[peak] * (1 + _RELATIVE) for r in solved.values()) and all(
            r > 0 for r in solved.values()
        ):
            return [solved.get(level) for level in range(len(hardness))]
    return None


def median_reference(candidates: Sequence[Sequence[float | None] | None]) -> list[float | None]:
    """Per level, the median over the samples' solved reference times (None if none)."""
    known = [c for c in candidates if c is not None]
    if not known:
        return []
    width = max(len(c) for c in known)
    medians: list[float | None] = []
    for level in range(width):
        values = [time for c in known if level < len(c) and (time := c[level]) is not None]
        medians.append(statistics.median(values) if values else None)
    return medians


def time_ratios(
    times: Sequence[float | None], reference: Sequence[float | None]
) -> list[float | None]:
    """Per level, the sample's time over the reference's (None where either is unknown)."""
    ratios: list[float | None] = []
    for level, time in enumerate(times):
        base = reference[level] if level < len(reference) else None
        ratios.append(time / base if time is not None and base else None)
    return ratios


def loss_kind(
    sample_exponent: float | None,
    reference_exponent: float | None,
    efficiency: float,
    margin: float = MARGIN,
) -> str:
    """One of KINDS: why a correct sample is as efficient as it is."""
    if sample_exponent is None or reference_exponent is None:
        return UNKNOWN
    if sample_exponent - reference_exponent > margin:
        return ALGORITHMIC
    return CONSTANT if efficiency < ON_PAR_EFFICIENCY else ON_PAR


@dataclass(frozen=True)
class ProblemProfiles:
    """One problem's samples (of one submission, or any) against the reference."""

    reference_times: tuple[float | None, ...]  # per level, median over the samples' solutions
    reference: Profile | None  # None when no sample pins the reference's times down
    samples: tuple[Profile, ...]  # per sample, in order
    median: int | None  # the correct sample of median efficiency (the lower one of two)

    def kind(self, sample: int, efficiency: float) -> str:
        """loss_kind() of one sample against the reference."""
        reference = self.reference.exponent if self.reference else None
        return loss_kind(self.samples[sample].exponent, reference, efficiency)


def problem_profiles(
    sizes: Sequence[int], hardness: Sequence[float], samples: Sequence[dict], factor: float = 2.0
) -> ProblemProfiles:
    """Profiles from stored samples (SampleResult.to_dict(): times, levels, correct, ...)."""
    reference = median_reference(
        [
            reference_times(sample["times"], sample["levels"], hardness, factor)
            for sample in samples
            if sample["correct"]
        ]
    )
    correct = sorted(
        (sample["efficiency"], i) for i, sample in enumerate(samples) if sample["correct"]
    )
    return ProblemProfiles(
        reference_times=tuple(reference),
        reference=profile(sizes, hardness, reference) if reference else None,
        samples=tuple(profile(sizes, hardness, sample["times"]) for sample in samples),
        median=correct[(len(correct) - 1) // 2][1] if correct else None,
    )
