import pytest
from django.test import Client

from leaderboard.models import LanguageModel, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def model() -> LanguageModel:
    model = LanguageModel.objects.create(
        name="Coder 7B", slug="coder-7b", organisation="Lab", parameters_billions=7.0
    )
    for visibility, metrics in [
        (Submission.Visibility.PUBLISHED, {"eff@1": 0.5}),
        (Submission.Visibility.PENDING, {"eff@1": 0.9}),
    ]:
        Submission.objects.create(
            model=model,
            upload_name="s.json",
            status=Submission.Status.DONE,
            visibility=visibility,
            metrics=metrics,
            environment={"isolation": "bubblewrap"},
            problems_total=24,
            problem_set_size=142,
        )
    return model


def test_model_with_its_published_submissions_only(client: Client, model) -> None:
    response = client.get("/api/models/coder-7b")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["organisation"], body["parameters_billions"]) == (
        "Coder 7B",
        "Lab",
        7.0,
    )
    assert [s["metrics"] for s in body["submissions"]] == [{"eff@1": 0.5}]
    published = body["submissions"][0]
    assert (published["isolation"], published["problems_covered"]) == ("bubblewrap", 24)
    assert published["problems_scored"] == 142


def test_unknown_model_is_404(client: Client) -> None:
    assert client.get("/api/models/nope").status_code == 404
