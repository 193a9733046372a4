"""The submission admin: list columns and the publish, hide, re-evaluate and cancel actions."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify

from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.submissions import create_submission
from problems.models import Problem
from tests.factories import make_adder_problem, solution
from tests.workers import enamel_json, use_test_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(settings, redis_server, tmp_path) -> Client:
    use_test_queue(settings, redis_server, tmp_path)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-12345678")
    client = Client()
    client.force_login(admin)
    return client


def make_submission(
    status: str, isolation: str = "bubblewrap", name: str = "Coder 7B"
) -> Submission:
    model, _ = LanguageModel.objects.get_or_create(name=name, slug=slugify(name))
    submission = create_submission(
        model=model, filename="s.json", data=enamel_json({0: [solution(0)]})
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=status, environment={"isolation": isolation}
    )
    return submission


def add_sample(submission: Submission, isolation: str) -> None:
    ProblemResult.objects.create(
        submission=submission, problem=Problem.objects.get(index=0), problem_hash="h", n=1,
        c=1, samples=[{"status": "passed", "efficiency": 1.0, "isolation": isolation}],
    )


def visibility(submission: Submission) -> str:
    return Submission.objects.get(pk=submission.pk).visibility


def act(client: Client, action: str, *submissions: Submission):
    return client.post(
        reverse("admin:leaderboard_submission_changelist"),
        {"action": action, "_selected_action": [s.pk for s in submissions]},
        follow=True,
    )


def test_list_shows_progress(admin_client: Client) -> None:
    make_adder_problem(0)
    make_submission("running")
    response = admin_client.get(reverse("admin:leaderboard_submission_changelist"))
    assert response.status_code == 200
    assert b"0/1" in response.content


def test_publish_only_done_then_hide(admin_client: Client) -> None:
    make_adder_problem(0)
    done, running = make_submission("done"), make_submission("running")
    act(admin_client, "publish", done, running)
    visibility = dict(Submission.objects.values_list("pk", "visibility"))
    assert (visibility[done.pk], visibility[running.pk]) == ("published", "pending")

    act(admin_client, "hide", done)
    assert Submission.objects.get(pk=done.pk).visibility == "hidden"


def test_publish_refuses_results_without_isolation(admin_client: Client) -> None:
    make_adder_problem(0)
    isolated, rlimits = make_submission("done"), make_submission("done", "rlimits")
    mixed = make_submission("done")
    add_sample(mixed, "rlimits")  # a sample's own record counts, not only the worker's
    response = act(admin_client, "publish", isolated, rlimits, mixed)
    assert [visibility(s) for s in (isolated, rlimits, mixed)] == [
        "published", "pending", "pending"
    ]
    assert "2 not published: they did not run under bubblewrap" in response.content.decode()


def test_publish_without_isolation_asks_first(admin_client: Client) -> None:
    make_adder_problem(0)
    rlimits = make_submission("done", "rlimits")
    page = act(admin_client, "publish_without_isolation", rlimits).content.decode()
    assert "Publish without isolation?" in page and "rlimits" in page
    assert visibility(rlimits) == "pending"

    admin_client.post(
        reverse("admin:leaderboard_submission_changelist"),
        {"action": "publish_without_isolation", "_selected_action": [rlimits.pk],
         "confirm": "yes"},
    )
    assert visibility(rlimits) == "published"


def test_changelists_truncate_long_model_names(admin_client: Client) -> None:
    make_adder_problem(0)
    name = ("A-very-long-model-name-" * 8)[:120]  # the longest a name may be
    make_submission("done", name=name)
    for changelist in ("leaderboard_submission_changelist", "leaderboard_languagemodel_changelist"):
        html = admin_client.get(reverse(f"admin:{changelist}")).content.decode()
        assert f'title="{name}"' in html  # the whole name as a tooltip
        assert f">{name}<" not in html
        assert name[:30] in html


def test_cancel_and_reevaluate(admin_client: Client) -> None:
    make_adder_problem(0)
    submission = make_submission("running")
    act(admin_client, "cancel", submission)
    assert Submission.objects.get(pk=submission.pk).status == "cancelled"

    act(admin_client, "reevaluate", submission)
    submission.refresh_from_db()
    assert (submission.status, submission.run) == ("queued", 2)


def test_problem_results_cannot_be_edited(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:leaderboard_problemresult_add"))
    assert response.status_code == 403


def test_change_form_cannot_publish_without_isolation(admin_client: Client) -> None:
    make_adder_problem(0)
    isolated, rlimits = make_submission("done"), make_submission("done", "rlimits")

    def publish(submission: Submission) -> str:
        url = reverse("admin:leaderboard_submission_change", args=[submission.pk])
        inline = {"results-TOTAL_FORMS": "0", "results-INITIAL_FORMS": "0"}
        data = {"visibility": "published", "notes": "", **inline}
        return admin_client.post(url, data).content.decode()

    assert "“Publish without isolation” action" in publish(rlimits)
    assert visibility(rlimits) == "pending"
    publish(isolated)
    assert visibility(isolated) == "published"
