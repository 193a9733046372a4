import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.site_data import add_result, make_model, make_problem, make_submission, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def model():
    math = make_tag("math")
    problems = [make_problem(0, math), make_problem(1), make_problem(2)]
    model = make_model("Coder", organisation="<b>Org</b>", parameters_billions=7)
    old = make_submission(model, days_ago=5)
    add_result(old, problems[0], [0.1])
    current = make_submission(model, days_ago=1)
    add_result(current, problems[0], [0.8, 0.4])  # eff@1 0.6
    add_result(current, problems[1], [None, 0.5])  # eff@1 0.25, pass@1 0.5
    make_submission(model, visibility="pending")
    return model


def test_model_page_shows_published_submissions_and_breakdown(client, model):
    response = client.get(reverse("leaderboard:model", args=[model.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;b&gt;Org&lt;/b&gt;" in html
    links = [s.pk for s in model.submissions.all() if f'href="/submissions/{s.pk}/"' in html]
    assert sorted(links) == sorted(s.pk for s in model.submissions.filter(visibility="published"))
    featured = response.context["breakdown"]
    assert featured.submission == model.submissions.filter(visibility="published").first()
    # eff@1 over the three active problems: (0.6 + 0.25 + 0) / 3
    assert featured.metrics["eff@1"] == pytest.approx(0.85 / 3)
    assert dict((tag.slug, eff) for tag, eff, _ in featured.tags)["math"] == pytest.approx(0.6)
    # Mean level efficiency: problem 0 (0.8 + 0.4) / 2, problem 1 (0 + 0.5) / 2, problem 2 0.
    assert featured.levels == pytest.approx((0.85 / 3,) * 4)
    sample = reverse("leaderboard:sample", args=[featured.submission.pk, 1, 0])
    assert f'href="{sample}"' in html
    assert "not covered (counts 0)" in html
    assert 'id="tag-bars"' in html and 'id="level-bars"' in html


def test_model_known_only_from_pending_submissions_is_not_public(client, db):
    hidden = make_model("Hidden")
    make_submission(hidden, visibility="pending")
    url = reverse("leaderboard:model", args=[hidden.slug])
    assert client.get(url).status_code == 404
    staff = User.objects.create_user("admin", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_staff_see_every_submission(client, model):
    client.force_login(User.objects.create_user("admin", password="pw", is_staff=True))
    html = client.get(reverse("leaderboard:model", args=[model.slug])).content.decode()
    pending = model.submissions.get(visibility="pending")
    assert f'href="/submissions/{pending.pk}/"' in html


def test_unknown_model_is_404(client, db):
    assert client.get(reverse("leaderboard:model", args=["nobody"])).status_code == 404
