"""The jobs and the lifecycle functions called directly, in this process (no workers)."""

import pytest

from evaluation.formats import SampleFormatError
from leaderboard.jobs import aggregate_submission_job, evaluate_problem_job
from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.submissions import (
    cancel_submission,
    create_submission,
    is_stale,
    reevaluate_submission,
    submission_progress,
)
from problems.models import Problem
from tests.workers import enamel_json, make_problem, solution, use_test_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def problems(settings, redis_server, tmp_path) -> list[Problem]:
    use_test_queue(settings, redis_server, tmp_path)
    settings.TEST_CACHE_DIR = tmp_path / "test-cache"
    return [make_problem(i) for i in range(3)]


@pytest.fixture
def submission(problems) -> Submission:
    model = LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")
    data = enamel_json({0: [solution(0)], 1: [solution(1)]})
    return create_submission(model=model, filename="samples.json", data=data)


def test_bad_file_writes_nothing(problems) -> None:
    model = LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")
    with pytest.raises(SampleFormatError, match="^no samples found$"):
        create_submission(model=model, filename="s.json", data=b"[null, []]")
    assert not Submission.objects.exists()


def test_a_job_run_twice_writes_one_result(submission) -> None:
    problem = Problem.objects.get(index=0)
    evaluate_problem_job(submission.pk, problem.pk, submission.run)
    first = ProblemResult.objects.get(submission=submission, problem=problem)
    evaluate_problem_job(submission.pk, problem.pk, submission.run)

    assert list(ProblemResult.objects.filter(submission=submission)) == [first]
    submission.refresh_from_db()
    assert (submission.status, submission.problems_done) == ("running", 1)


def test_jobs_of_a_cancelled_or_earlier_run_do_nothing(submission) -> None:
    problem = Problem.objects.get(index=0)
    old_run = submission.run
    reevaluate_submission(submission)
    evaluate_problem_job(submission.pk, problem.pk, old_run)
    aggregate_submission_job(submission.pk, old_run)
    assert not ProblemResult.objects.exists()

    submission.refresh_from_db()
    assert cancel_submission(submission)
    evaluate_problem_job(submission.pk, problem.pk, submission.run)
    assert not ProblemResult.objects.exists()
    submission.refresh_from_db()
    assert (submission.status, submission.metrics) == ("cancelled", {})


def test_aggregation_waits_for_every_covered_problem(submission) -> None:
    evaluate_problem_job(submission.pk, Problem.objects.get(index=0).pk, submission.run)
    aggregate_submission_job(submission.pk, submission.run)
    submission.refresh_from_db()
    assert submission.status == "running"

    evaluate_problem_job(submission.pk, Problem.objects.get(index=1).pk, submission.run)
    aggregate_submission_job(submission.pk, submission.run)
    submission.refresh_from_db()
    assert submission.status == "done"
    rows = ProblemResult.objects.filter(submission=submission)
    # Averaged over all 3 active problems: the one not in the file counts as failed.
    assert submission.metrics["pass@1"] == pytest.approx(sum(r.pass_at_k["1"] for r in rows) / 3)


def test_eta_is_mean_problem_time_times_problems_left(submission) -> None:
    ProblemResult.objects.create(
        submission=submission, problem=Problem.objects.get(index=0), problem_hash="x",
        n=1, c=1, wall_seconds=4.0,
    )
    Submission.objects.filter(pk=submission.pk).update(status="running", problems_done=1)
    progress = submission_progress(submission)
    # One problem left of two, no worker registered: counted as one.
    assert (progress["percent"], progress["eta_seconds"]) == (50.0, 4.0)


def test_stale_once_the_problem_set_changes(submission) -> None:
    assert not is_stale(submission)
    Problem.objects.filter(index=2).update(active=False)
    assert is_stale(submission)
