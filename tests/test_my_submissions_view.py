"""/submissions/mine/: a signed-in user's own submissions, pending ones included."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from leaderboard.models import Submission
from tests.site_data import make_model, make_submission

pytestmark = pytest.mark.django_db


def test_signed_out_users_are_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("uploads:mine"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_lists_only_the_users_own_submissions(client: Client) -> None:
    users = get_user_model().objects
    ada, bob = users.create_user("ada", password="pw"), users.create_user("bob", password="pw")
    model = make_model("Coder")
    own = make_submission(model, visibility="pending", submitter=ada)
    Submission.objects.filter(pk=own.pk).update(metrics={"eff@1": 0.4567, "pass@1": 0.75})
    other = make_submission(model, submitter=bob)
    client.force_login(ada)
    html = client.get(reverse("uploads:mine")).content.decode()
    assert reverse("uploads:status", args=[own.pk]) in html
    assert reverse("uploads:status", args=[other.pk]) not in html
    assert "Pending" in html and "45.7%" in html and "75.0%" in html
    assert f'href="{reverse("uploads:mine")}" aria-current="page"' in html  # in the nav


def test_empty_list_points_to_the_upload_form(client: Client) -> None:
    client.force_login(get_user_model().objects.create_user("ada", password="pw"))
    html = client.get(reverse("uploads:mine")).content.decode()
    assert "no submissions yet" in html and reverse("uploads:submit") in html
