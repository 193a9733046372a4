import io
import json

import pandas as pd
import pytest
from django.urls import reverse

from leaderboard.pages.exports import SUBMISSION_COLUMNS
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission

pytestmark = pytest.mark.django_db

DOCUMENTED = [
    "task_id",
    "n",
    "c",
    "pass@1",
    "pass@10",
    "pass@100",
    "eff@1",
    "eff@10",
    "eff@100",
    "n_passed",
    "n_wrong_answer",
    "n_error",
    "n_timeout",
    "n_memory",
    "n_killed",
]


@pytest.fixture
def submission():
    problems = [make_problem(0), make_problem(1), make_problem(2)]
    submission = make_submission(make_model("Coder"))
    add_result(submission, problems[0], [0.5] * 4 + [None] * 6)
    add_result(submission, problems[2], [0.9] * 10)
    return submission


def test_csv_one_row_per_evaluated_problem(client, submission):
    url = reverse("leaderboard:export-submission", args=[submission.pk, "csv"])
    assert url == f"/export/submissions/{submission.pk}.csv"
    frame = pd.read_csv(io.StringIO(client.get(url).content.decode()))
    assert SUBMISSION_COLUMNS == DOCUMENTED
    assert list(frame.columns) == DOCUMENTED
    assert frame["task_id"].tolist() == ["HumanEval/0", "HumanEval/2"]
    first = frame.iloc[0]
    assert (first["n"], first["c"], first["n_passed"], first["n_wrong_answer"]) == (10, 4, 4, 6)
    assert first["pass@1"] == pytest.approx(0.4)
    assert first["eff@1"] == pytest.approx(0.2)
    assert first["pass@10"] == pytest.approx(1.0)
    assert pd.isna(first["eff@100"])


def test_json_records(client, submission):
    url = reverse("leaderboard:export-submission", args=[submission.pk, "json"])
    records = json.loads(client.get(url).content)
    assert [list(r) for r in records] == [DOCUMENTED, DOCUMENTED]
    assert records[1]["eff@10"] == pytest.approx(0.9)


def test_hidden_submission_is_404(client, submission):
    submission.visibility = "hidden"
    submission.save()
    url = reverse("leaderboard:export-submission", args=[submission.pk, "csv"])
    assert client.get(url).status_code == 404
