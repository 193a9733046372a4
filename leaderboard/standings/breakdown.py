"""One submission's results broken down by problem, tag and level, for its pages and exports.

Unlike the leaderboard (leaderboard.standings.queries), this reads every sample of the
submission, so it is meant for one submission at a time.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Q

from evaluation.api import SampleStatus
from leaderboard.models import ProblemResult, Submission
from leaderboard.standings import profiles
from leaderboard.standings.queries import KS, OUTCOME_LABELS, OUTCOMES, TagRef, outcome
from problems.models import Problem, Tag, problem_set_hash


@dataclass(frozen=True)
class ProblemLine:
    index: int
    task_id: str
    slug: str
    title: str
    active: bool
    n: int  # 0 when the submission did not cover the problem
    c: int
    pass_at_k: dict[int, float]
    eff_at_k: dict[int, float]
    status_counts: dict[str, int]  # every SampleStatus, in order
    outcome_counts: dict[str, int]  # every one of queries.OUTCOMES, in order
    sample_outcomes: tuple[str, ...]  # in file order: sample i is the i-th

    @property
    def covered(self) -> bool:
        return self.n > 0

    @property
    def pass1(self) -> float | None:
        return self.pass_at_k.get(1)

    @property
    def eff1(self) -> float | None:
        return self.eff_at_k.get(1)


@dataclass(frozen=True)
class ProblemLoss:
    """How the submission's median correct sample on a problem compares with the reference."""

    index: int
    task_id: str
    slug: str
    sample: int
    efficiency: float
    exponent: float | None
    reference_exponent: float | None
    kind: str  # one of profiles.KINDS


@dataclass(frozen=True)
class Breakdown:
    submission: Submission
    stale: bool  # evaluated on another problem set than the current one
    problems: tuple[ProblemLine, ...]  # active problems, then other problems it has results for
    metrics: dict[str, float | None]  # "pass@k" / "eff@k" over the active problems
    tags: tuple[tuple[TagRef, float | None, float | None], ...]  # (tag, eff@1, pass@1)
    # Mean efficiency per level over the active problems; None for a level that only checks
    # correctness (hardness 0 on every problem), which has no efficiency to show.
    levels: tuple[float | None, ...]
    losses: tuple[ProblemLoss, ...]  # active problems with a correct sample, by index

    outcomes = tuple((name, OUTCOME_LABELS[name]) for name in OUTCOMES)

    @property
    def ks(self) -> tuple[int, ...]:
        return tuple(k for k in KS if self.metrics.get(f"eff@{k}") is not None)

    @property
    def loss_shares(self) -> list[tuple[str, int, float]]:
        """(kind, problems, share of the profiled problems) for each of profiles.KINDS."""
        total = len(self.losses)
        return [
            (kind, count, count / total if total else 0.0)
            for kind in profiles.KINDS
            for count in [sum(loss.kind == kind for loss in self.losses)]
        ]

    @property
    def algorithmic(self) -> tuple[ProblemLoss, ...]:
        return tuple(loss for loss in self.losses if loss.kind == profiles.ALGORITHMIC)

    @property
    def metric_rows(self) -> list[tuple[str, list[float | None]]]:
        """[("eff@k", [value per k in ks]), ("pass@k", …)], for a table."""
        return [
            (f"{name}@k", [self.metrics[f"{name}@{k}"] for k in self.ks])
            for name in ("eff", "pass")
        ]


def submission_breakdown(submission: Submission) -> Breakdown:
    results = {
        result["problem_id"]: result
        for result in ProblemResult.objects.filter(submission=submission).values(
            "problem_id", "n", "c", "pass_at_k", "eff_at_k", "samples"
        )
    }
    problems = sorted(
        Problem.objects.filter(Q(id__in=results) | Q(active=True)),
        key=lambda problem: (not problem.active, problem.index),
    )
    lines = {problem.id: _line(problem, results.get(problem.id)) for problem in problems}
    active = [line for line in lines.values() if line.active]
    level_means = [_level_means(results.get(p.id)) for p in problems if p.active]

    tag_rows: list[tuple[TagRef, float | None, float | None]] = []
    tagged: dict[str, list[ProblemLine]] = {}
    for problem_id, slug in Problem.tags.through.objects.filter(problem__active=True).values_list(
        "problem_id", "tag__slug"
    ):
        tagged.setdefault(slug, []).append(lines[problem_id])
    for slug, name in Tag.objects.values_list("slug", "name"):
        members = tagged.get(slug, [])
        if members:
            tag_rows.append(
                (
                    TagRef(slug, name),
                    _mean(line.eff_at_k.get(1, 0.0) for line in members),
                    _mean(line.pass_at_k.get(1, 0.0) for line in members),
                )
            )
        else:
            tag_rows.append((TagRef(slug, name), None, None))

    return Breakdown(
        submission=submission,
        stale=submission.problem_set_hash != problem_set_hash(),
        problems=tuple(lines.values()),
        metrics=_metrics(active),
        tags=tuple(tag_rows),
        levels=_average_levels(
            level_means, [p.to_spec().hardness for p in problems if p.active]
        ),
        losses=tuple(
            loss
            for problem in problems
            if problem.active and problem.id in results
            for loss in [_loss(problem, results[problem.id]["samples"])]
            if loss is not None
        ),
    )


def _loss(problem: Problem, samples: list[dict]) -> ProblemLoss | None:
    spec = problem.to_spec()
    found = profiles.problem_profiles(spec.level_sizes, spec.hardness, samples)
    if found.median is None:
        return None
    efficiency = samples[found.median]["efficiency"]
    return ProblemLoss(
        index=problem.index,
        task_id=problem.task_id,
        slug=problem.slug,
        sample=found.median,
        efficiency=efficiency,
        exponent=found.samples[found.median].exponent,
        reference_exponent=found.reference.exponent if found.reference else None,
        kind=found.kind(found.median, efficiency),
    )


def _line(problem: Problem, result: Mapping[str, Any] | None) -> ProblemLine:
    samples = result["samples"] if result else []
    counts = Counter(sample["status"] for sample in samples)
    outcomes = [outcome(sample) for sample in samples]
    return ProblemLine(
        index=problem.index,
        task_id=problem.task_id,
        slug=problem.slug,
        title=problem.title,
        active=problem.active,
        n=result["n"] if result else 0,
        c=result["c"] if result else 0,
        pass_at_k={int(k): v for k, v in result["pass_at_k"].items()} if result else {},
        eff_at_k={int(k): v for k, v in result["eff_at_k"].items()} if result else {},
        status_counts={status: counts.get(status, 0) for status in SampleStatus},
        outcome_counts={name: outcomes.count(name) for name in OUTCOMES},
        sample_outcomes=tuple(outcomes),
    )


def _metrics(active: list[ProblemLine]) -> dict[str, float | None]:
    """As the leaderboard: uncovered problems score 0; k > 1 only if every covered one has it."""
    covered = [line for line in active if line.covered]
    metrics: dict[str, float | None] = {}
    for k in KS:
        reported = bool(active) and (
            k == 1 or (bool(covered) and all(k in line.eff_at_k for line in covered))
        )
        metrics[f"pass@{k}"] = (
            _mean(line.pass_at_k.get(k, 0.0) for line in active) if reported else None
        )
        metrics[f"eff@{k}"] = (
            _mean(line.eff_at_k.get(k, 0.0) for line in active) if reported else None
        )
    return metrics


def _level_means(result: Mapping[str, Any] | None) -> list[float]:
    """A problem's mean efficiency per level over its samples; an incorrect sample scores 0.

    A correct sample censored on a level (timeout, memory) keeps its earlier levels' scores.
    """
    if not result or not result["samples"]:
        return []
    samples = result["samples"]
    width = max(len(sample["levels"]) for sample in samples)
    table = np.zeros((len(samples), width))
    for i, sample in enumerate(samples):
        if sample["correct"]:
            table[i, : len(sample["levels"])] = sample["levels"]
    return list(table.mean(axis=0))


def _average_levels(
    per_problem: list[list[float]], hardness: list[tuple[float, ...]]
) -> tuple[float | None, ...]:
    """Mean over all active problems; an uncovered problem scores 0 on every level."""
    if not per_problem:
        return ()
    width = max((len(means) for means in per_problem), default=0)
    table = np.zeros((len(per_problem), width))
    for i, means in enumerate(per_problem):
        table[i, : len(means)] = means
    timed = [any(len(h) > level and h[level] > 0 for h in hardness) for level in range(width)]
    return tuple(
        float(value) if weighted else None
        for value, weighted in zip(table.mean(axis=0), timed, strict=True)
    )


def _mean(values) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else 0.0
