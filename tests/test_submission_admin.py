"""The submission admin: list columns and the publish, hide, re-evaluate and cancel actions."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission
from tests.workers import enamel_json, make_problem, solution, use_test_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(settings, redis_server, tmp_path) -> Client:
    use_test_queue(settings, redis_server, tmp_path)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-12345678")
    client = Client()
    client.force_login(admin)
    return client


def make_submission(status: str) -> Submission:
    model, _ = LanguageModel.objects.get_or_create(name="Coder 7B", slug="coder-7b")
    submission = create_submission(
        model=model, filename="s.json", data=enamel_json({0: [solution(0)]})
    )
    Submission.objects.filter(pk=submission.pk).update(status=status)
    return submission


def act(client: Client, action: str, *submissions: Submission):
    return client.post(
        reverse("admin:leaderboard_submission_changelist"),
        {"action": action, "_selected_action": [s.pk for s in submissions]},
        follow=True,
    )


def test_list_shows_progress(admin_client: Client) -> None:
    make_problem(0)
    make_submission("running")
    response = admin_client.get(reverse("admin:leaderboard_submission_changelist"))
    assert response.status_code == 200
    assert b"0/1" in response.content


def test_publish_only_done_then_hide(admin_client: Client) -> None:
    make_problem(0)
    done, running = make_submission("done"), make_submission("running")
    act(admin_client, "publish", done, running)
    visibility = dict(Submission.objects.values_list("pk", "visibility"))
    assert (visibility[done.pk], visibility[running.pk]) == ("published", "pending")

    act(admin_client, "hide", done)
    assert Submission.objects.get(pk=done.pk).visibility == "hidden"


def test_cancel_and_reevaluate(admin_client: Client) -> None:
    make_problem(0)
    submission = make_submission("running")
    act(admin_client, "cancel", submission)
    assert Submission.objects.get(pk=submission.pk).status == "cancelled"

    act(admin_client, "reevaluate", submission)
    submission.refresh_from_db()
    assert (submission.status, submission.run) == ("queued", 2)


def test_problem_results_cannot_be_edited(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:leaderboard_problemresult_add"))
    assert response.status_code == 403
