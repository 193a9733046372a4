import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from leaderboard.models import LanguageModel, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("ada")


@pytest.fixture
def submission(owner) -> Submission:
    return Submission.objects.create(
        model=LanguageModel.objects.create(name="Coder 7B", slug="coder-7b"),
        upload_name="samples.json",
        submitter=owner,
        status=Submission.Status.DONE,
        problems_total=2,
        problems_done=2,
        metrics={"eff@1": 0.5, "pass@1": 1.0},
    )


def url(submission: Submission) -> str:
    return f"/api/submissions/{submission.pk}"


def test_owner_sees_status_progress_and_metrics(client: Client, owner, submission) -> None:
    token = Token.objects.create(user=owner)
    response = client.get(url(submission), headers={"Authorization": f"Token {token.key}"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == submission.pk
    assert body["model"] == "Coder 7B"
    assert (body["status"], body["visibility"]) == ("done", "pending")
    assert (body["done"], body["total"], body["percent"]) == (2, 2, 100.0)
    assert body["metrics"] == {"eff@1": 0.5, "pass@1": 1.0}
    assert body["warnings"] == []
    assert body["status_url"].endswith(f"/submissions/{submission.pk}/status/")


def test_owner_session_works_for_the_status_page(client: Client, owner, submission) -> None:
    client.force_login(owner)
    assert client.get(url(submission)).status_code == 200


def test_staff_sees_pending(client: Client, submission) -> None:
    client.force_login(get_user_model().objects.create_user("root", is_staff=True))
    assert client.get(url(submission)).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "someone else"])
def test_pending_is_404_to_others(client: Client, submission, who: str) -> None:
    if who != "anonymous":
        client.force_login(get_user_model().objects.create_user("bob"))
    assert client.get(url(submission)).status_code == 404


def test_published_is_public(client: Client, submission) -> None:
    submission.visibility = Submission.Visibility.PUBLISHED
    submission.save()
    assert client.get(url(submission)).json()["visibility"] == "published"


def test_unknown_is_404(client: Client) -> None:
    assert client.get("/api/submissions/12345").status_code == 404
