"""Every query behind the public leaderboard, in one place.

The leaderboard has one row per model: its latest published, finished submission evaluated on
the current problem set. Metrics are recomputed here from the per-problem results rather than
read from Submission.metrics, so that a tag filter can rescore the same rows and a problem
that a submission does not cover counts 0.

`leaderboard_table(filters)` reads the database in a fixed handful of queries whatever the
number of models and returns plain data; leaderboard.standings.leaderboard_cache keeps what
the pages, exports and API make of it.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from evaluation.api import SampleStatus
from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.standings import profiles, stats
from problems.models import Problem, Tag, problem_set_hash

# The k of pass@k and eff@k that the site reports: ENAMEL's, declared here only (the engine
# computes the same by default, as tests/test_site_queries.py checks). k = 1 has columns of
# its own (rank, interval, tags); each larger k is shown where some row's n reaches it, and
# the row's fields, sort keys, export columns and API fields for it derive from LARGER_KS.
KS = (1, 10, 100)
LARGER_KS = KS[1:]
SORT_KEYS = (
    "rank",
    "model",
    "organisation",
    "size",
    "eff1",
    "pass1",
    *(f"{metric}{k}" for k in LARGER_KS for metric in ("eff", "pass")),
    "n",
    "covered",
    "date",
)


@dataclass(frozen=True)
class LeaderboardFilters:
    tag: str = ""  # a tag slug: score over that tag's problems only
    weights: str = ""  # "", "open" or "closed"
    size_min: float | None = None  # parameters, billions
    size_max: float | None = None
    q: str = ""  # part of the model's name
    # Only submissions with samples for every active problem. Off by default: an uncovered
    # problem already counts 0, so a partial submission ranks low, not high, and the
    # coverage column says which rows are partial.
    complete: bool = False
    sort: str = "rank"
    direction: str = "asc"


@dataclass(frozen=True)
class TagRef:
    slug: str
    name: str


@dataclass(frozen=True)
class ProblemRef:
    id: int
    index: int
    task_id: str
    slug: str
    title: str


@dataclass(frozen=True)
class TagScore:
    tag: TagRef
    eff1: float | None  # None when the tag has no active problem
    pass1: float | None


@dataclass(frozen=True)
class LeaderboardRow:
    model_id: int
    name: str
    slug: str
    organisation: str
    open_weights: bool
    parameters_billions: float | None
    submission_id: int
    date: datetime
    n: int  # the fewest samples on a scored problem: bounds the k that can be reported
    covered: int  # scored problems the submission has samples for
    complete: bool  # it has samples for every active problem
    isolation: str  # the sandbox's isolation the submission was evaluated under
    rank: int
    eff1: float
    eff1_ci_low: float
    eff1_ci_high: float
    pass1: float
    # eff@k and pass@k for each k in LARGER_KS; None where the submission's n is below k.
    eff_at: dict[int, float | None]
    pass_at: dict[int, float | None]
    tags: tuple[TagScore, ...]


@dataclass(frozen=True)
class LeaderboardTable:
    filters: LeaderboardFilters
    problem_set_hash: str
    tag: TagRef | None  # the tag the metrics are scored over, None for all problems
    tags: tuple[TagRef, ...]
    problems: tuple[ProblemRef, ...]  # the problems scored, in index order
    rows: tuple[LeaderboardRow, ...]  # after the model filters, in the requested order
    ranked_models: int  # rows before the model filters: what ranks are out of
    # Per row (aligned with rows) and per scored problem: eff@1, pass@1, has samples.
    eff1: np.ndarray = field(repr=False)
    pass1: np.ndarray = field(repr=False)
    covered: np.ndarray = field(repr=False)

    def rows_between(self, start: int, stop: int) -> "LeaderboardTable":
        """The same table with only rows[start:stop] (one page of it)."""
        return replace(self, rows=self.rows[start:stop], eff1=self.eff1[start:stop],
                       pass1=self.pass1[start:stop], covered=self.covered[start:stop])

    @cached_property  # the template asks on every row: computed once, not 500 x 500 times
    def ks(self) -> tuple[int, ...]:
        """The k that at least one row reports, i.e. the metric columns worth showing."""
        shown = [1]
        for k in LARGER_KS:
            if any(row.eff_at[k] is not None for row in self.rows):
                shown.append(k)
        return tuple(shown)

    @property
    def larger_ks(self) -> tuple[int, ...]:
        """The k > 1 that at least one row reports."""
        return self.ks[1:]


def visible_submissions(user) -> QuerySet[Submission]:
    """What a user may see: published submissions; also their own, and everything for staff."""
    submissions = Submission.objects.select_related("model")
    if user.is_staff:
        return submissions
    allowed = Q(visibility=Submission.Visibility.PUBLISHED)
    if user.is_authenticated:
        allowed |= Q(submitter=user)
    return submissions.filter(allowed)


def leaderboard_submissions(current_hash: str) -> QuerySet[Submission]:
    """Published, finished submissions on the current problem set, newest first."""
    return Submission.objects.filter(
        visibility=Submission.Visibility.PUBLISHED,
        status=Submission.Status.DONE,
        problem_set_hash=current_hash,
    ).order_by("model_id", "-created", "-id")


def _latest_per_model(current_hash: str) -> dict[int, Mapping[str, Any]]:
    """model id -> its leaderboard submission's id, created and finished."""
    latest: dict[int, Mapping[str, Any]] = {}
    for submission in leaderboard_submissions(current_hash).values(
        "id", "model_id", "created", "finished", "environment__isolation"
    ):
        latest.setdefault(submission["model_id"], submission)
    return latest


def leaderboard_table(filters: LeaderboardFilters) -> LeaderboardTable:
    current = problem_set_hash()
    problems = tuple(
        ProblemRef(**row)
        for row in Problem.objects.filter(active=True)
        .order_by("index")
        .values("id", "index", "task_id", "slug", "title")
    )
    tags = tuple(TagRef(slug, name) for slug, name in Tag.objects.values_list("slug", "name"))
    tagged: dict[str, set[int]] = {tag.slug: set() for tag in tags}
    for problem_id, slug in Problem.tags.through.objects.filter(problem__active=True).values_list(
        "problem_id", "tag__slug"
    ):
        tagged[slug].add(problem_id)

    latest = _latest_per_model(current)
    models = {
        model["id"]: model
        for model in LanguageModel.objects.filter(id__in=latest).values(
            "id", "name", "slug", "organisation", "open_weights", "parameters_billions"
        )
    }
    model_ids = sorted(latest, key=lambda model_id: models[model_id]["name"])
    submission_ids = [latest[model_id]["id"] for model_id in model_ids]
    scores = _Scores.load(submission_ids, problems)

    scope_tag = next((tag for tag in tags if tag.slug == filters.tag), None)
    scope = (
        np.array([p.id in tagged[scope_tag.slug] for p in problems], dtype=bool)
        if scope_tag
        else np.ones(len(problems), dtype=bool)
    )
    metrics = scores.metrics(scope)
    covered = scores.covered[:, scope].sum(axis=1)
    complete = np.all(scores.covered, axis=1)
    low, high = stats.bootstrap_mean_ci(scores.eff[1][:, scope])
    ranks = stats.overlap_ranks(low, high)
    per_tag = {
        tag.slug: scores.metrics(np.array([p.id in tagged[tag.slug] for p in problems]))
        for tag in tags
    }

    rows = []
    for i, model_id in enumerate(model_ids):
        model, submission = models[model_id], latest[model_id]
        rows.append(
            LeaderboardRow(
                model_id=model_id,
                name=model["name"],
                slug=model["slug"],
                organisation=model["organisation"],
                open_weights=model["open_weights"],
                parameters_billions=model["parameters_billions"],
                submission_id=submission["id"],
                date=submission["finished"] or submission["created"],
                n=int(metrics["n"][i]),
                covered=int(covered[i]),
                complete=bool(complete[i]),
                isolation=submission["environment__isolation"] or "",
                rank=int(ranks[i]),
                eff1=metrics["eff1"][i],
                eff1_ci_low=float(low[i]),
                eff1_ci_high=float(high[i]),
                pass1=metrics["pass1"][i],
                eff_at={k: metrics[f"eff{k}"][i] for k in LARGER_KS},
                pass_at={k: metrics[f"pass{k}"][i] for k in LARGER_KS},
                tags=tuple(
                    TagScore(tag, per_tag[tag.slug]["eff1"][i], per_tag[tag.slug]["pass1"][i])
                    for tag in tags
                ),
            )
        )
    order = _order([i for i, row in enumerate(rows) if _matches(row, filters)], rows, filters)
    picked = np.asarray(order, dtype=int)
    return LeaderboardTable(
        filters=filters,
        problem_set_hash=current,
        tag=scope_tag,
        tags=tags,
        problems=tuple(p for p, scored in zip(problems, scope, strict=True) if scored),
        rows=tuple(rows[i] for i in order),
        ranked_models=len(rows),
        eff1=scores.eff[1][np.ix_(picked, scope)],
        pass1=scores.passed[1][np.ix_(picked, scope)],
        covered=scores.covered[np.ix_(picked, scope)],
    )


class _Scores:
    """Per submission x active problem: pass@k, eff@k and n, from one query."""

    def __init__(self, rows: int, problems: int) -> None:
        shape = (rows, problems)
        self.eff = {k: np.zeros(shape) for k in KS}
        self.passed = {k: np.zeros(shape) for k in KS}
        self.has_k = {k: np.zeros(shape, dtype=bool) for k in KS}
        self.covered = np.zeros(shape, dtype=bool)
        self.n = np.zeros(shape, dtype=int)

    @classmethod
    def load(cls, submission_ids: Sequence[int], problems: Sequence[ProblemRef]) -> "_Scores":
        scores = cls(len(submission_ids), len(problems))
        row_of = {submission_id: i for i, submission_id in enumerate(submission_ids)}
        column_of = {problem.id: j for j, problem in enumerate(problems)}
        # The JSON is read as text and decoded below in a single call: decoding the 2 x
        # 71,000 small objects of a 500-model leaderboard one by one took most of its time.
        results = list(
            ProblemResult.objects.filter(
                submission_id__in=submission_ids, problem__active=True
            ).values_list(
                "submission_id",
                "problem_id",
                "n",
                Cast("pass_at_k", TextField()),
                Cast("eff_at_k", TextField()),
            )
        )
        decoded = json.loads("[" + ",".join(f"{p},{e}" for *_, p, e in results) + "]")
        passes, effs = decoded[0::2], decoded[1::2]
        # Filled a column of results at a time: numpy is slow element by element.
        i = np.array([row_of[result[0]] for result in results], dtype=int)
        j = np.array([column_of[result[1]] for result in results], dtype=int)
        scores.covered[i, j] = True
        scores.n[i, j] = [result[2] for result in results]
        for k in KS:
            key = str(k)
            has = [
                m
                for m, (p, e) in enumerate(zip(passes, effs, strict=True))
                if key in p and key in e
            ]
            scores.has_k[k][i[has], j[has]] = True
            scores.passed[k][i[has], j[has]] = [passes[m][key] for m in has]
            scores.eff[k][i[has], j[has]] = [effs[m][key] for m in has]
        return scores

    def metrics(self, scope: np.ndarray) -> dict[str, list]:
        """Per row: "n", and "effK" / "passK" averaged over the problems in scope.

        As ENAMEL (and evaluation.metrics.average_metrics) does, an uncovered problem scores
        0, and a k > 1 is reported only when every covered problem in scope has it. A row
        with nothing in scope still reports k = 1, as 0; an empty scope reports None.
        """
        rows = len(self.n)
        count = int(scope.sum())
        covered = self.covered[:, scope]
        any_covered = covered.any(axis=1)
        most = np.iinfo(int).max
        fewest = np.where(covered, self.n[:, scope], most).min(axis=1, initial=most)
        result: dict[str, list] = {"n": [int(n) for n in np.where(any_covered, fewest, 0)]}
        for k in KS:
            if count == 0:
                reported = np.zeros(rows, dtype=bool)
            elif k == 1:
                reported = np.ones(rows, dtype=bool)
            else:
                reported = any_covered & np.all(self.has_k[k][:, scope] | ~covered, axis=1)
            for name, values in (("eff", self.eff[k]), ("pass", self.passed[k])):
                means = values[:, scope].mean(axis=1) if count else np.zeros(rows)
                result[f"{name}{k}"] = [
                    float(mean) if ok else None for mean, ok in zip(means, reported, strict=True)
                ]
        return result


def _matches(row: LeaderboardRow, filters: LeaderboardFilters) -> bool:
    if filters.complete and not row.complete:
        return False
    if filters.weights == "open" and not row.open_weights:
        return False
    if filters.weights == "closed" and row.open_weights:
        return False
    size = row.parameters_billions
    # A model of unknown size cannot be said to be in a size range.
    if filters.size_min is not None and (size is None or size < filters.size_min):
        return False
    if filters.size_max is not None and (size is None or size > filters.size_max):
        return False
    return filters.q.casefold() in row.name.casefold()


def _sort_value(row: LeaderboardRow, key: str) -> float | str | datetime | None:
    if key == "model":
        return row.name.casefold()
    if key == "organisation":
        return row.organisation.casefold() or None
    if key == "size":
        return row.parameters_billions
    for k in LARGER_KS:
        if key == f"eff{k}":
            return row.eff_at[k]
        if key == f"pass{k}":
            return row.pass_at[k]
    return getattr(row, key)


def _order(
    indices: list[int], rows: list[LeaderboardRow], filters: LeaderboardFilters
) -> list[int]:
    """Indices sorted by the filter's column; rows without a value go last either way."""
    key = filters.sort if filters.sort in SORT_KEYS else "rank"
    descending = filters.direction == "desc"
    # Ties keep the rank, then eff@1, then name order: Python's sort is stable, also reversed.
    base = sorted(
        indices,
        key=lambda i: (rows[i].rank, -(rows[i].eff1 or 0.0), rows[i].name.casefold()),
    )
    known = [(i, value) for i in base if (value := _sort_value(rows[i], key)) is not None]
    unknown = [i for i in base if _sort_value(rows[i], key) is None]
    by_value = sorted(known, key=lambda pair: pair[1], reverse=descending)
    return [i for i, _ in by_value] + unknown


@dataclass(frozen=True)
class HardProblem:
    problem: ProblemRef
    mean_eff1: float  # over the models that cover the problem
    mean_pass1: float
    solved_by: int  # models with pass@1 > 0
    covered_by: int  # models with samples for the problem


def hardest_problems(table: LeaderboardTable) -> list[HardProblem]:
    """The table's problems by mean eff@1 over the models that cover each, lowest first.

    Averaging over every model instead would rank a problem hard because few sample files
    happen to include it. Problems no model covers are left out.
    """
    counts = table.covered.sum(axis=0)
    with np.errstate(invalid="ignore"):
        mean_eff = (table.eff1 * table.covered).sum(axis=0) / counts
        mean_pass = (table.pass1 * table.covered).sum(axis=0) / counts
    solved = ((table.pass1 > 0) & table.covered).sum(axis=0)
    problems = [
        HardProblem(problem, float(mean_eff[j]), float(mean_pass[j]), int(solved[j]),
                    int(counts[j]))
        for j, problem in enumerate(table.problems)
        if counts[j]
    ]
    return sorted(problems, key=lambda hard: (hard.mean_eff1, hard.mean_pass1, hard.problem.index))


def eff1_noise(table: LeaderboardTable) -> np.ndarray:
    """Per row and scored problem, the standard error of its eff@1 (stats.eff1_standard_error).

    Reads every sample of the table's rows: meant for the few dozen rows /compare/ shows.
    An uncovered problem gets the re-run floor (it is never compared: nothing solves it).
    """
    noise = np.full(table.eff1.shape, stats.RERUN_NOISE)
    row_of = {row.submission_id: i for i, row in enumerate(table.rows)}
    column_of = {problem.id: j for j, problem in enumerate(table.problems)}
    for submission_id, problem_id, samples in ProblemResult.objects.filter(
        submission_id__in=row_of, problem_id__in=column_of
    ).values_list("submission_id", "problem_id", "samples"):
        if samples:
            noise[row_of[submission_id], column_of[problem_id]] = stats.eff1_standard_error(
                [sample["efficiency"] for sample in samples]
            )
    return noise


# How a sample ended, as ENAMEL means it: a sample correct on level 0 that times out or runs
# out of memory on a later level is "censored" (those levels score 0), not a failure.
CENSORED = "censored"
OUTCOME_LABELS = {
    SampleStatus.PASSED: "correct",
    CENSORED: "correct, censored",
    SampleStatus.WRONG_ANSWER: "wrong answer",
    SampleStatus.ERROR: "error",
    SampleStatus.TIMEOUT: "timeout on level 0",
    SampleStatus.MEMORY: "out of memory on level 0",
    SampleStatus.KILLED: "killed",
}
OUTCOMES = tuple(OUTCOME_LABELS)


def outcome(sample: dict) -> str:
    """One of OUTCOMES for a stored sample (SampleResult.to_dict())."""
    if sample["correct"]:
        return SampleStatus.PASSED if sample["status"] == SampleStatus.PASSED else CENSORED
    return sample["status"]


@dataclass(frozen=True)
class ModelOnProblem:
    name: str
    slug: str
    submission_id: int
    n: int
    c: int
    pass1: float
    eff1: float
    efficiencies: tuple[float, ...]  # per sample, in file order; an incorrect one scores 0
    outcome_counts: dict[str, int]  # every one of OUTCOMES, in order

    @property
    def outcomes(self) -> str:
        """ "2 correct, 1 wrong answer": the outcomes that occurred, in OUTCOMES order."""
        counts = self.outcome_counts.items()
        return ", ".join(f"{count} {OUTCOME_LABELS[name]}" for name, count in counts if count)

    @property
    def spread(self) -> tuple[float, float, float]:
        """Lowest, median and highest sample efficiency."""
        if not self.efficiencies:
            return (0.0, 0.0, 0.0)
        low, median, high = np.percentile(self.efficiencies, [0, 50, 100])
        return (float(low), float(median), float(high))


def problem_results(problem: Problem) -> list[ModelOnProblem]:
    """How each leaderboard model did on one problem, best eff@1 first."""
    latest = _latest_per_model(problem_set_hash())
    results = ProblemResult.objects.filter(
        problem=problem, submission_id__in=[s["id"] for s in latest.values()]
    ).values_list(
        "submission_id",
        "submission__model__name",
        "submission__model__slug",
        "n",
        "c",
        "pass_at_k",
        "eff_at_k",
        "samples",
    )
    entries = []
    for submission_id, name, slug, n, c, pass_at_k, eff_at_k, samples in results:
        outcomes = [outcome(sample) for sample in samples]
        entries.append(
            ModelOnProblem(
                name=name,
                slug=slug,
                submission_id=submission_id,
                n=n,
                c=c,
                pass1=pass_at_k.get("1", 0.0),
                eff1=eff_at_k.get("1", 0.0),
                # Scoring gives an incorrect sample 0, a censored one its earlier levels' share.
                efficiencies=tuple(sample["efficiency"] for sample in samples),
                outcome_counts={name: outcomes.count(name) for name in OUTCOMES},
            )
        )
    return sorted(entries, key=lambda entry: (-entry.eff1, -entry.pass1, entry.name.casefold()))


@dataclass(frozen=True)
class ModelProfile:
    name: str
    slug: str
    submission_id: int
    sample: int  # the model's correct sample of median efficiency on the problem
    efficiency: float
    profile: profiles.Profile
    kind: str  # profiles.KINDS: its loss against the reference


@dataclass(frozen=True)
class ProblemProfile:
    """Time against input size on one problem: the reference and each model's median sample."""

    reference: profiles.Profile | None
    models: tuple[ModelProfile, ...]  # models with a correct sample, best eff@1 first


def problem_profile(problem: Problem) -> ProblemProfile:
    spec = problem.to_spec()
    latest = _latest_per_model(problem_set_hash())
    results = ProblemResult.objects.filter(
        problem=problem, submission_id__in=[s["id"] for s in latest.values()]
    ).values_list(
        "submission_id", "submission__model__name", "submission__model__slug", "eff_at_k",
        "samples",
    )
    references, models = [], []
    for submission_id, name, slug, _, samples in sorted(
        results, key=lambda result: (-result[3].get("1", 0.0), result[1].casefold())
    ):
        found = profiles.problem_profiles(spec.level_sizes, spec.hardness, samples)
        references.append(list(found.reference_times) or None)
        if found.median is None:
            continue
        efficiency = samples[found.median]["efficiency"]
        models.append(
            ModelProfile(name, slug, submission_id, found.median, efficiency,
                         found.samples[found.median], found.kind(found.median, efficiency))
        )
    # Every evaluation timed the reference afresh: the median over them.
    reference = profiles.median_reference(references)
    return ProblemProfile(
        reference=profiles.profile(spec.level_sizes, spec.hardness, reference)
        if reference
        else None,
        models=tuple(models),
    )
