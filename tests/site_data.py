"""Synthetic problems, models, submissions and results for the public site's tests."""

import json
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from evaluation.metrics import level_efficiency, problem_metrics, sample_efficiency
from evaluation.results import SampleStatus
from evaluation.scoring import timeout_seconds
from leaderboard.models import LanguageModel, ProblemResult, Submission, SubmissionFile
from leaderboard.standings.queries import KS
from problems.models import Problem, Tag, problem_set_hash


def make_tag(slug: str) -> Tag:
    return Tag.objects.create(slug=slug, name=slug.replace("-", " ").title())


def make_model(name: str, **fields) -> LanguageModel:
    return LanguageModel.objects.create(name=name, slug=slugify(name) or "model", **fields)


def make_submission(
    model: LanguageModel,
    visibility: str = Submission.Visibility.PUBLISHED,
    status: str = Submission.Status.DONE,
    *,
    days_ago: float = 0,
    stale: bool = False,
    upload: bytes = b"[]",
    submitter=None,
) -> Submission:
    submission = Submission.objects.create(
        model=model,
        upload_name="samples.json",
        format="enamel-json",
        status=status,
        visibility=visibility,
        problem_set_hash="an-older-problem-set" if stale else problem_set_hash(),
        submitter=submitter,
    )
    SubmissionFile.objects.create(submission=submission, data=upload)
    # created is auto_now_add: set it afterwards to order submissions in time.
    created = timezone.now() - timedelta(days=days_ago)
    Submission.objects.filter(pk=submission.pk).update(created=created, finished=created)
    submission.refresh_from_db()
    return submission


def sample(efficiency: float | None, error: str = "") -> dict:
    """A passed sample of this efficiency, or (None) a wrong answer."""
    if efficiency is None:
        return {
            "status": SampleStatus.WRONG_ANSWER,
            "correct": False,
            "efficiency": 0.0,
            "levels": [],
            "times": [0.001],
            "peak_memory": 2048,
            "isolation": "test",
            "error": error or "AssertionError: wrong answer",
            "failed_level": 0,
        }
    return {
        "status": SampleStatus.PASSED,
        "correct": True,
        "efficiency": efficiency,
        "levels": [efficiency] * 4,
        "times": [0.001, 0.01, 0.1, 1.0],
        "peak_memory": 4096,
        "isolation": "test",
        "error": "",
        "failed_level": None,
    }


def timed_sample(times: list[float], reference: list[float], hardness=(0, 3, 3, 4)) -> dict:
    """A correct sample with these per-level times, scored against the reference's as
    ENAMEL scores it (so that the reference's times can be solved back from it)."""
    timeout = timeout_seconds([[r] for r in reference], list(hardness), 2.0)
    levels = [
        level_efficiency(t, r, timeout) if weight else 0.0
        for t, r, weight in zip(times, reference, hardness, strict=True)
    ]
    return {
        **sample(sample_efficiency(levels, list(hardness))),
        "levels": levels,
        "times": list(times),
    }


def add_samples(submission: Submission, problem: Problem, samples: list[dict]) -> ProblemResult:
    """The problem's result from stored samples (see sample() and timed_sample())."""
    passes, effs = problem_metrics(
        [s["correct"] for s in samples], [s["efficiency"] for s in samples], KS
    )
    return ProblemResult.objects.create(
        submission=submission,
        problem=problem,
        problem_hash=problem.content_hash,
        n=len(samples),
        c=sum(s["correct"] for s in samples),
        pass_at_k={str(k): v for k, v in passes.items()},
        eff_at_k={str(k): v for k, v in effs.items()},
        samples=samples,
    )


def add_result(
    submission: Submission, problem: Problem, efficiencies: list[float | None]
) -> ProblemResult:
    """The problem's result from per-sample efficiencies (None: a failed sample)."""
    samples = [sample(e) for e in efficiencies]
    passes, effs = problem_metrics(
        [e is not None for e in efficiencies], [e or 0.0 for e in efficiencies], KS
    )
    return ProblemResult.objects.create(
        submission=submission,
        problem=problem,
        problem_hash=problem.content_hash,
        n=len(samples),
        c=sum(e is not None for e in efficiencies),
        pass_at_k={str(k): v for k, v in passes.items()},
        eff_at_k={str(k): v for k, v in effs.items()},
        samples=samples,
    )


def enamel_upload(codes: dict[int, list[str]]) -> bytes:
    """An ENAMEL JSON upload: entry N lists the code samples of problem N."""
    return json.dumps({str(index): samples for index, samples in codes.items()}).encode()
