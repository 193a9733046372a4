import pytest
from django.test import Client

from leaderboard.models import LanguageModel, ProblemResult, Submission
from problems.models import Problem, problem_set_hash
from tests.workers import make_problem

pytestmark = pytest.mark.django_db
URL = "/api/leaderboard"


def publish(name: str, effs: list[float], **model_fields) -> Submission:
    """A published submission scoring effs[i] eff@1 on HumanEval/i (created as needed)."""
    problems = [
        Problem.objects.filter(index=i).first() or make_problem(i) for i in range(len(effs))
    ]
    model = LanguageModel.objects.create(name=name, slug=name.lower(), **model_fields)
    submission = Submission.objects.create(
        model=model,
        upload=b"[]",
        upload_name="s.json",
        status=Submission.Status.DONE,
        visibility=Submission.Visibility.PUBLISHED,
        problem_set_hash=problem_set_hash(),
    )
    for problem, eff in zip(problems, effs, strict=True):
        ProblemResult.objects.create(
            submission=submission,
            problem=problem,
            problem_hash=problem.content_hash,
            n=1,
            c=1,
            pass_at_k={"1": 1.0},
            eff_at_k={"1": eff},
        )
    return submission


def test_empty(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["rows"] == []


def test_rows_with_metrics(client: Client) -> None:
    publish("Alpha", [1.0, 0.5], organisation="Lab", open_weights=True, parameters_billions=7)
    publish("Beta", [0.2, 0.0])
    body = client.get(URL).json()
    assert body["ranked_models"] == 2
    assert body["problems"] == ["HumanEval/0", "HumanEval/1"]
    first = body["rows"][0]
    assert (first["name"], first["organisation"], first["open_weights"]) == ("Alpha", "Lab", True)
    assert first["eff1"] == pytest.approx(0.75)
    assert first["pass1"] == 1.0
    assert first["eff10"] is None


def test_filters(client: Client) -> None:
    publish("Alpha", [1.0, 0.5], open_weights=True)
    publish("Beta", [0.2, 0.0])
    assert [row["name"] for row in client.get(URL, {"weights": "closed"}).json()["rows"]] == [
        "Beta"
    ]
    names = [row["name"] for row in client.get(URL, {"sort": "eff1", "direction": "asc"}).json()[
        "rows"
    ]]
    assert names == ["Beta", "Alpha"]


def test_pending_submissions_are_not_listed(client: Client) -> None:
    submission = publish("Alpha", [1.0])
    submission.visibility = Submission.Visibility.PENDING
    submission.save()
    assert client.get(URL).json()["rows"] == []


def test_bad_filter_is_400(client: Client) -> None:
    response = client.get(URL, {"weights": "heavy"})
    assert response.status_code == 400
    assert "weights" in response.json()
