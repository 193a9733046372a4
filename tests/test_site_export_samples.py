import io
import json

import pandas as pd
import pytest
from django.urls import reverse

from tests.factories import make_problem
from tests.site_data import add_result, add_samples, make_model, make_submission, timed_sample

pytestmark = pytest.mark.django_db

DOCUMENTED = [
    "task_id",
    "sample",
    "status",
    "efficiency",
    "levels",
    "times",
    "peak_memory",
    "error",
    "failed_level",
    "outcome",
    "isolation",
    "reference_times",
    "growth_exponent",
    "reference_growth_exponent",
]


@pytest.fixture
def submission():
    submission = make_submission(make_model("Coder"))
    add_result(submission, make_problem(5), [0.25, None])
    add_result(submission, make_problem(2), [1.0])
    return submission


def test_one_json_line_per_sample(client, submission):
    response = client.get(reverse("leaderboard:export-samples", args=[submission.pk]))
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.content.decode().splitlines()]
    assert [list(line) for line in lines] == [DOCUMENTED] * 3
    assert [(line["task_id"], line["sample"]) for line in lines] == [
        ("HumanEval/2", 0),
        ("HumanEval/5", 0),
        ("HumanEval/5", 1),
    ]
    failed = lines[2]
    assert failed["status"] == "wrong_answer" and failed["failed_level"] == 0
    assert failed["outcome"] == "wrong_answer" and failed["growth_exponent"] is None
    assert lines[0]["outcome"] == "passed" and lines[0]["isolation"] == "test"
    assert failed["error"] == "AssertionError: wrong answer"
    assert lines[1]["levels"] == [0.25] * 4 and lines[1]["failed_level"] is None
    frame = pd.read_json(io.StringIO(response.content.decode()), lines=True)
    assert list(frame.columns) == DOCUMENTED


def test_pending_submission_is_404(client, submission):
    submission.visibility = "pending"
    submission.save()
    assert client.get(f"/export/submissions/{submission.pk}/samples.jsonl").status_code == 404


def test_growth_exponents_of_each_sample_and_its_reference(client):
    submission = make_submission(make_model("Coder"))
    reference = [1e-6, 1e-4, 1e-3, 1e-2]  # sizes 1 10 100 1000: linear on the timed levels
    add_samples(submission, make_problem(4), [
        timed_sample([1e-6, 2e-6, 2e-4, 1.9e-2], reference),
        timed_sample([1e-6, 1.5e-4, 1.5e-3, 1.5e-2], reference),
    ])
    body = client.get(reverse("leaderboard:export-samples", args=[submission.pk])).content
    quadratic, linear = (json.loads(line) for line in body.decode().splitlines())
    assert quadratic["growth_exponent"] == pytest.approx(1.99, abs=0.005)
    assert linear["growth_exponent"] == pytest.approx(1.0)
    assert quadratic["reference_growth_exponent"] == pytest.approx(1.0)
    assert quadratic["reference_times"][0] is None
    assert quadratic["reference_times"][1:] == [pytest.approx(r) for r in reference[1:]]
