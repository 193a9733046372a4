import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from leaderboard.models import LanguageModel, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("ada")


@pytest.fixture
def submission(owner) -> Submission:
    model = LanguageModel.objects.create(name="Coder <7B>", slug="coder-7b")
    return Submission.objects.create(
        model=model,
        upload_name="samples.json",
        submitter=owner,
        status=Submission.Status.RUNNING,
        problems_total=4,
        problems_done=1,
        samples_total=20,
        samples_done=5,
    )


def get(client: Client, submission: Submission):
    return client.get(reverse("uploads:status", args=[submission.pk]))


def test_owner_sees_live_progress_of_a_pending_submission(client: Client, owner, submission):
    client.force_login(owner)
    response = get(client, submission)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<progress max="100" value="25.0">' in html  # 5 of 20 samples
    assert f'data-progress-url="/api/submissions/{submission.pk}"' in html
    assert "js/progress.js" in html
    assert "pending until an admin publishes it" in html
    assert ">Refresh</a>" in html  # the page works without JavaScript
    assert "Coder &lt;7B&gt;" in html


def test_staff_sees_any_pending_submission(client: Client, submission):
    client.force_login(get_user_model().objects.create_user("root", is_staff=True))
    assert get(client, submission).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "someone else"])
def test_others_get_404_for_a_pending_submission(client: Client, submission, who: str):
    if who != "anonymous":
        client.force_login(get_user_model().objects.create_user("bob"))
    assert get(client, submission).status_code == 404


def test_published_submission_is_public(client: Client, submission):
    submission.visibility = Submission.Visibility.PUBLISHED
    submission.save()
    response = get(client, submission)
    assert response.status_code == 200
    assert b"pending until" not in response.content


def test_finished_submission_shows_metrics_and_stops_polling(client: Client, owner, submission):
    submission.status = Submission.Status.DONE
    submission.problems_done = 4
    submission.metrics = {"eff@1": 0.4567, "pass@1": 0.75}
    submission.save()
    client.force_login(owner)
    html = get(client, submission).content.decode()
    assert "eff@1" in html and "45.7%" in html and "75.0%" in html  # as on every other page
    assert "data-finished" in html
    assert ">Refresh</a>" not in html
    assert f'href="{reverse("leaderboard:submission", args=[submission.pk])}"' in html


def test_warnings_are_shown(client: Client, owner, submission):
    submission.warnings = ["1 of 4 problems are not in the file and count as failed"]
    submission.save()
    client.force_login(owner)
    assert b"1 of 4 problems are not in the file" in get(client, submission).content


def test_failure_reason_is_shown_escaped(client: Client, owner, submission):
    submission.status = Submission.Status.FAILED
    submission.failure_reason = "<b>worker lost</b>"
    submission.save()
    client.force_login(owner)
    html = get(client, submission).content.decode()
    assert "&lt;b&gt;worker lost&lt;/b&gt;" in html


def test_unknown_submission_is_404(client: Client):
    assert client.get(reverse("uploads:status", args=[999])).status_code == 404
