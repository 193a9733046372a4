import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from leaderboard.models import Submission
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def problems():
    return [make_problem(0), make_problem(1)]


def test_published_submission_page(client, problems):
    submission = make_submission(make_model("Coder"))
    add_result(submission, problems[0], [0.5, None, 0.7])
    html = client.get(reverse("leaderboard:submission", args=[submission.pk])).content.decode()
    assert "Submission #" in html and "Coder" in html
    # eff@1 = (0.5 + 0 + 0.7) / 3 on problem 0, 0 on the uncovered problem 1: 20.0%
    assert "20.0%" in html
    assert reverse("leaderboard:export-submission", args=[submission.pk, "csv"]) in html
    assert reverse("leaderboard:export-samples", args=[submission.pk]) in html
    for number in range(3):
        assert reverse("leaderboard:sample", args=[submission.pk, 0, number]) in html


@pytest.mark.parametrize("visibility", ["pending", "hidden"])
def test_unpublished_submission_only_for_staff_and_submitter(client, problems, visibility):
    submitter = User.objects.create_user("submitter", password="pw")
    submission = make_submission(make_model("Coder"), visibility=visibility, submitter=submitter)
    url = reverse("leaderboard:submission", args=[submission.pk])
    assert client.get(url).status_code == 404
    client.force_login(User.objects.create_user("other", password="pw"))
    assert client.get(url).status_code == 404
    client.force_login(submitter)
    assert client.get(url).status_code == 200
    client.force_login(User.objects.create_user("admin", password="pw", is_staff=True))
    assert client.get(url).status_code == 200


def test_stale_submission_is_marked(client, problems):
    submission = make_submission(make_model("Coder"), stale=True)
    html = client.get(reverse("leaderboard:submission", args=[submission.pk])).content.decode()
    assert "not on the leaderboard" in html


def test_missing_submission_is_404(client, db):
    assert client.get(reverse("leaderboard:submission", args=[999])).status_code == 404


def test_isolation_is_shown_and_its_absence_flagged(client, problems):
    submission = make_submission(make_model("Coder"))
    Submission.objects.filter(pk=submission.pk).update(environment={"isolation": "bubblewrap"})
    result = add_result(submission, problems[0], [0.5])
    result.samples[0]["isolation"] = "bubblewrap"
    result.save()
    url = reverse("leaderboard:submission", args=[submission.pk])
    html = client.get(url).content.decode()
    assert "<dt>Isolation</dt><dd>bubblewrap" in html and "without isolation" not in html

    result.samples[0]["isolation"] = "rlimits"
    result.save()
    html = client.get(url).content.decode()
    assert "<dt>Isolation</dt><dd>bubblewrap, rlimits" in html
    assert "not all under bubblewrap: some samples ran without isolation" in html


@pytest.mark.parametrize(("limits", "shown"), [("cgroup", "per sandbox (a cgroup)"),
                                               ("per-process", "per process only")])
def test_resource_limits_are_shown(client, problems, limits, shown):
    submission = make_submission(make_model("Coder"))
    environment = {"isolation": "bubblewrap", "resource_limits": limits}
    Submission.objects.filter(pk=submission.pk).update(environment=environment)
    html = client.get(reverse("leaderboard:submission", args=[submission.pk])).content.decode()
    assert f"<dt>Resource limits</dt><dd>{shown}</dd>" in html
