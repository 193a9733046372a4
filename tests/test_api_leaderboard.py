import pytest
from django.test import Client

from leaderboard.models import LanguageModel, ProblemResult, Submission
from problems.models import Problem, problem_set_hash
from tests.factories import make_adder_problem

pytestmark = pytest.mark.django_db
URL = "/api/leaderboard"


def publish(name: str, effs: list[float], **model_fields) -> Submission:
    """A published submission scoring effs[i] eff@1 on HumanEval/i (created as needed)."""
    problems = [
        Problem.objects.filter(index=i).first() or make_adder_problem(i) for i in range(len(effs))
    ]
    model = LanguageModel.objects.create(name=name, slug=name.lower(), **model_fields)
    submission = Submission.objects.create(
        model=model,
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
    assert (first["model"], first["organisation"], first["open_weights"]) == ("Alpha", "Lab", True)
    assert first["eff@1"] == pytest.approx(0.75)
    assert first["pass@1"] == 1.0
    assert first["eff@10"] is None
    assert (first["problems_covered"], first["problems_scored"], first["complete"]) == (2, 2, True)
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None


def test_filters(client: Client) -> None:
    publish("Alpha", [1.0, 0.5], open_weights=True)
    publish("Beta", [0.2, 0.0])
    assert [row["model"] for row in client.get(URL, {"weights": "closed"}).json()["rows"]] == [
        "Beta"
    ]
    names = [row["model"] for row in client.get(URL, {"sort": "eff1", "direction": "asc"}).json()[
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


def test_field_names_are_the_exports(client: Client) -> None:
    publish("Alpha", [1.0, 0.5])
    row = client.get(URL).json()["rows"][0]
    export = client.get("/export/leaderboard.json").json()[0]
    # The export spells per-tag columns "eff@1[slug]"; the API nests them under "tags".
    assert [name for name in export if "[" not in name] == [
        name for name in row if name != "tags"
    ]


def test_pages(client: Client) -> None:
    for i in range(5):
        publish(f"Model{i}", [0.1 * (i + 1)])
    first = client.get(URL, {"page_size": 2, "sort": "model"}).json()
    assert first["count"] == 5 and [row["model"] for row in first["rows"]] == ["Model0", "Model1"]
    assert "page=2" in first["next"] and first["previous"] is None
    last = client.get(first["next"]).json()
    last = client.get(last["next"]).json()
    assert [row["model"] for row in last["rows"]] == ["Model4"] and last["next"] is None
    assert last["ranked_models"] == 5
    assert client.get(URL, {"page": 9}).status_code == 404


def test_isolation_and_complete_filter(client: Client) -> None:
    full = publish("Full", [0.5, 0.5])
    full.environment = {"isolation": "bubblewrap"}
    full.save()
    publish("Partial", [0.9])
    rows = client.get(URL, {"sort": "model"}).json()["rows"]
    assert [(row["model"], row["isolation"], row["complete"]) for row in rows] == [
        ("Full", "bubblewrap", True), ("Partial", "", False)
    ]
    assert [row["model"] for row in client.get(URL, {"complete": "true"}).json()["rows"]] == [
        "Full"
    ]
