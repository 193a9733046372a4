"""Submissions through the real queue: real Redis, real `manage.py rqworker` processes."""

import pytest

from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.submissions import create_submission, submission_progress
from tests.workers import (
    enamel_json,
    make_problem,
    queue_env,  # noqa: F401 - fixture
    running_workers,
    solution,
    wait_for,
    wrong_solution,
)

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(submission: Submission) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def submit(samples: dict[int, list[str]]) -> Submission:
    model, _ = LanguageModel.objects.get_or_create(name="Coder 7B", slug="coder-7b")
    return create_submission(model=model, filename="samples.json", data=enamel_json(samples))


def test_submission_completes_with_two_workers(queue_env, tmp_path) -> None:
    for i in range(4):
        make_problem(i)
    # Problem 3 is not in the file: it counts as failed.
    submission = submit(
        {0: [solution(0)], 1: [solution(1), wrong_solution(1)], 2: [wrong_solution(2)]}
    )
    assert (submission.problems_total, submission.problem_set_size) == (3, 4)
    assert submission.warnings == ["1 of 4 problems are not in the file and count as failed"]

    with running_workers(2, queue_env, tmp_path) as workers:
        wait_for(lambda: status_of(submission) == "done", 90, "the submission to finish", tmp_path)
        names = {worker.name for worker in workers}

    submission.refresh_from_db()
    results = {r.problem.index: r for r in ProblemResult.objects.filter(submission=submission)}
    assert sorted(results) == [0, 1, 2]
    assert [(results[i].n, results[i].c) for i in range(3)] == [(1, 1), (2, 1), (1, 0)]
    assert {result.worker for result in results.values()} <= names
    assert submission.problems_done == 3
    assert submission.metrics["pass@1"] == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    expected_eff = sum(results[i].eff_at_k["1"] for i in range(3)) / 4
    assert submission.metrics["eff@1"] == pytest.approx(expected_eff)
    assert expected_eff > 0
    assert submission.environment["python"]
    assert submission.finished is not None
    progress = submission_progress(submission)
    assert progress | {"metrics": None} == {
        "id": submission.pk, "status": "done", "done": 3, "total": 3, "percent": 100.0,
        "eta_seconds": 0.0, "metrics": None, "failure_reason": "",
        "warnings": submission.warnings,
    }
