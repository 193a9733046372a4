import io
import json

import pandas as pd
import pytest
from django.urls import reverse

from leaderboard.pages.exports import LEADERBOARD_COLUMNS
from problems.models import Problem
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission, make_tag

pytestmark = pytest.mark.django_db

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def board():
    math, graphs = make_tag("math"), make_tag("graphs")
    problems = [make_problem(0, math), make_problem(1, graphs)]
    for name, effs in [("Alpha", [0.9, 0.5]), (EVIL, [0.2, None])]:
        submission = make_submission(make_model(name, parameters_billions=7))
        for problem, eff in zip(problems, effs, strict=True):
            add_result(submission, problem, [eff])
    make_submission(make_model("Secret"), visibility="hidden")


EXPECTED_COLUMNS = LEADERBOARD_COLUMNS + [
    "eff@1[graphs]",
    "pass@1[graphs]",
    "eff@1[math]",
    "pass@1[math]",
]


def test_csv_has_the_documented_columns(client, board):
    response = client.get(reverse("leaderboard:export-leaderboard", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert LEADERBOARD_COLUMNS[:6] == [
        "model",
        "slug",
        "organisation",
        "open_weights",
        "parameters_billions",
        "rank",
    ]
    alpha = frame.set_index("model").loc["Alpha"]
    assert alpha["eff@1"] == pytest.approx(0.7)
    assert alpha["eff@1[math]"] == pytest.approx(0.9)
    assert alpha["pass@1[graphs]"] == pytest.approx(1.0)
    assert alpha["eff@1_ci_low"] <= alpha["eff@1"] <= alpha["eff@1_ci_high"]
    assert pd.isna(alpha["eff@10"])  # one sample a problem: no eff@10
    assert set(frame["model"]) == {"Alpha", EVIL}  # the raw name, as data
    assert LEADERBOARD_COLUMNS[-4:] == [
        "problems_covered", "problems_scored", "complete", "isolation"
    ]
    assert (alpha["problems_covered"], alpha["problems_scored"]) == (2, 2) and alpha["complete"]


def test_coverage_and_isolation_per_row(client, board):
    partial = make_submission(make_model("Partial"))
    partial.environment = {"isolation": "rlimits"}
    partial.save()
    add_result(partial, Problem.objects.get(index=0), [0.5])
    records = json.loads(
        client.get(reverse("leaderboard:export-leaderboard", args=["json"])).content
    )
    row = next(r for r in records if r["model"] == "Partial")
    assert (row["problems_covered"], row["problems_scored"], row["complete"]) == (1, 2, False)
    assert row["isolation"] == "rlimits"
    complete = json.loads(client.get(
        reverse("leaderboard:export-leaderboard", args=["json"]), {"complete": "on"}
    ).content)
    assert "Partial" not in [r["model"] for r in complete]


def test_json_records_follow_the_filters(client, board):
    response = client.get(
        reverse("leaderboard:export-leaderboard", args=["json"]), {"tag": "math", "q": "alp"}
    )
    records = json.loads(response.content)
    assert [r["model"] for r in records] == ["Alpha"]
    assert list(records[0]) == EXPECTED_COLUMNS
    assert records[0]["eff@1"] == pytest.approx(0.9)
    assert records[0]["eff@10"] is None
    assert pd.read_json(io.StringIO(response.content.decode())).shape == (1, len(EXPECTED_COLUMNS))


def test_unknown_format_is_404(client, db):
    assert client.get("/export/leaderboard.xlsx").status_code == 404
