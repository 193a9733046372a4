"""The jobs and the lifecycle functions called directly, in this process (no workers)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from evaluation import metrics
from evaluation.formats import SampleFormatError
from leaderboard.jobs import aggregate_submission_job, evaluate_chunk_job
from leaderboard.models import (
    ChunkResult,
    LanguageModel,
    ProblemResult,
    Submission,
    SubmissionFile,
    SubmissionSamples,
)
from leaderboard.submissions import (
    cancel_submission,
    create_submission,
    enqueue_submission,
    is_stale,
    reevaluate_submission,
    submission_progress,
)
from problems.models import Problem
from tests.factories import ADDER_PROMPT, make_adder_problem, solution, wrong_solution
from tests.workers import enamel_json, use_test_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def problems(settings, redis_server, tmp_path) -> list[Problem]:
    use_test_queue(settings, redis_server, tmp_path)
    settings.TEST_CACHE_DIR = tmp_path / "test-cache"
    return [make_adder_problem(i) for i in range(3)]


@pytest.fixture
def model(problems) -> LanguageModel:
    return LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")


@pytest.fixture
def submission(model) -> Submission:
    data = enamel_json({0: [solution(0)], 1: [solution(1)]})
    return create_submission(model=model, filename="samples.json", data=data)


def test_bad_file_writes_nothing(model) -> None:
    with pytest.raises(SampleFormatError, match="^no samples found$"):
        create_submission(model=model, filename="s.json", data=b"[null, []]")
    assert not Submission.objects.exists()
    assert not SubmissionSamples.objects.exists()


def test_upload_is_stored_per_problem(model) -> None:
    data = enamel_json({0: [solution(0), wrong_solution(0)], 2: [solution(2)]})
    submission = create_submission(model=model, filename="samples.json", data=data)
    rows = {row.task_id: (row.n, row.codes) for row in submission.stored_samples.all()}
    assert rows == {
        "HumanEval/0": (2, [solution(0), wrong_solution(0)]),
        "HumanEval/2": (1, [solution(2)]),
    }
    assert (submission.samples_total, submission.samples_done) == (3, 0)


def test_a_job_reads_only_its_stored_problem(submission) -> None:
    # The file itself is no longer readable: a job that parsed it would fail.
    SubmissionFile.objects.filter(submission=submission).update(data=b"not json")
    problem = Problem.objects.get(index=0)
    with CaptureQueriesContext(connection) as queries:
        evaluate_chunk_job(submission.pk, problem.pk, 0, submission.run)
    assert ProblemResult.objects.get(submission=submission, problem=problem).c == 1
    # Nor is the file read from the database (up to 50 MiB a read).
    assert queries.captured_queries
    assert not [q for q in queries.captured_queries if "submissionfile" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        submission_progress(submission)
    assert not [q for q in queries.captured_queries if "submissionfile" in q["sql"]]


def test_a_job_run_twice_writes_one_result(submission) -> None:
    problem = Problem.objects.get(index=0)
    evaluate_chunk_job(submission.pk, problem.pk, 0, submission.run)
    first = ProblemResult.objects.get(submission=submission, problem=problem)
    evaluate_chunk_job(submission.pk, problem.pk, 0, submission.run)

    assert list(ProblemResult.objects.filter(submission=submission)) == [first]
    submission.refresh_from_db()
    assert (submission.status, submission.problems_done, submission.samples_done) == (
        "running", 1, 1,
    )


def test_chunks_add_up_to_one_problem_result(settings, model) -> None:
    settings.EVALUATION_CHUNK_SAMPLES = 2
    wrong = ADDER_PROMPT.format(i=0) + "    return -1\n"  # wrong_solution(0) is right: x - 0
    codes = [solution(0), wrong, solution(0), solution(0), wrong]
    submission = create_submission(
        model=model, filename="samples.json", data=enamel_json({0: codes})
    )
    problem = Problem.objects.get(index=0)
    assert submission.chunk_samples == 2

    # Out of order: the problem is folded when its last chunk lands, whichever it is.
    for chunk in (2, 0):
        evaluate_chunk_job(submission.pk, problem.pk, chunk, submission.run)
    assert not ProblemResult.objects.exists()
    assert sorted(ChunkResult.objects.values_list("chunk", "n")) == [(0, 2), (2, 1)]
    with pytest.raises(IntegrityError), transaction.atomic():  # a chunk lands at most once
        ChunkResult.objects.create(submission=submission, problem=problem, chunk=0, n=2)
    progress = submission_progress(submission)
    assert (progress["status"], progress["done"], progress["percent"]) == ("running", 0, 60.0)

    evaluate_chunk_job(submission.pk, problem.pk, 1, submission.run)
    result = ProblemResult.objects.get(submission=submission, problem=problem)
    assert not ChunkResult.objects.exists()
    assert (result.n, result.c, result.chunks) == (5, 3, 3)
    statuses = [sample["status"] for sample in result.samples]
    assert statuses == ["passed", "wrong_answer", "passed", "passed", "wrong_answer"]
    # Over all five samples, as one job evaluating them all computes them.
    passes, effs = metrics.problem_metrics(
        [s["correct"] for s in result.samples], [s["efficiency"] for s in result.samples], [1]
    )
    assert result.pass_at_k == {"1": pytest.approx(passes[1])} == {"1": pytest.approx(0.6)}
    assert result.eff_at_k == {"1": pytest.approx(effs[1])}
    assert effs[1] > 0
    assert result.call_seconds > 0
    assert result.wall_seconds >= result.call_seconds
    submission.refresh_from_db()
    assert (submission.status, submission.samples_done) == ("done", 5)  # no job left to wait


def test_jobs_of_a_cancelled_or_earlier_run_do_nothing(submission) -> None:
    problem = Problem.objects.get(index=0)
    old_run = submission.run
    reevaluate_submission(submission)
    evaluate_chunk_job(submission.pk, problem.pk, 0, old_run)
    aggregate_submission_job(submission.pk, old_run)
    assert not ProblemResult.objects.exists()
    assert not ChunkResult.objects.exists()

    submission.refresh_from_db()
    assert cancel_submission(submission)
    evaluate_chunk_job(submission.pk, problem.pk, 0, submission.run)
    assert not ProblemResult.objects.exists()
    submission.refresh_from_db()
    assert (submission.status, submission.metrics) == ("cancelled", {})


def test_the_last_problem_job_finishes_the_submission(submission) -> None:
    evaluate_chunk_job(submission.pk, Problem.objects.get(index=0).pk, 0, submission.run)
    submission.refresh_from_db()
    assert submission.status == "running"

    evaluate_chunk_job(submission.pk, Problem.objects.get(index=1).pk, 0, submission.run)
    submission.refresh_from_db()
    assert submission.status == "done"
    assert submission.finished is not None
    rows = ProblemResult.objects.filter(submission=submission)
    # Averaged over all 3 active problems: the one not in the file counts as failed.
    assert submission.metrics["pass@1"] == pytest.approx(sum(r.pass_at_k["1"] for r in rows) / 3)


def test_a_submission_stored_before_chunks_is_stored_once(submission) -> None:
    # As a submission queued before migration 0003 looks: no rows, no sample counts.
    submission.stored_samples.all().delete()
    Submission.objects.filter(pk=submission.pk).update(samples_total=0)
    submission.refresh_from_db()
    assert enqueue_submission(submission) == 2
    submission.refresh_from_db()
    assert submission.samples_total == 2
    assert sorted(submission.stored_samples.values_list("task_id", flat=True)) == [
        "HumanEval/0", "HumanEval/1",
    ]
    assert enqueue_submission(submission) == 0  # queued already


def test_eta_is_mean_sample_time_times_samples_left(submission) -> None:
    ProblemResult.objects.create(
        submission=submission, problem=Problem.objects.get(index=0), problem_hash="x",
        n=1, c=1, wall_seconds=4.0,
    )
    Submission.objects.filter(pk=submission.pk).update(
        status="running", problems_done=1, samples_done=1
    )
    progress = submission_progress(submission)
    # One sample left of two, no worker registered: counted as one.
    assert (progress["percent"], progress["eta_seconds"]) == (50.0, 4.0)


def test_stale_once_the_problem_set_changes(submission) -> None:
    assert not is_stale(submission)
    Problem.objects.filter(index=2).update(active=False)
    assert is_stale(submission)
