import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import make_problem
from tests.site_data import (
    add_result,
    add_samples,
    make_model,
    make_submission,
    make_tag,
    sample,
    timed_sample,
)

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
    # Level 0 only checks correctness: no efficiency.
    assert featured.levels[0] is None
    assert featured.levels[1:] == pytest.approx((0.85 / 3,) * 3)
    assert "correctness only" in html
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


def test_model_page_separates_algorithmic_from_constant_factor_losses(client):
    problems = [make_problem(i) for i in range(3)]  # sizes 1 10 100 1000
    reference = [1e-6, 1e-4, 1e-3, 1e-2]
    model = make_model("Profiled")
    submission = make_submission(model)
    quadratic = timed_sample([1e-6, 2e-6, 2e-4, 1.9e-2], reference)
    slower = timed_sample([1e-6, 1.5e-4, 1.5e-3, 1.5e-2], reference)
    add_samples(submission, problems[0], [sample(None), quadratic])
    add_samples(submission, problems[1], [slower])
    add_samples(submission, problems[2], [sample(None)])  # nothing correct: not profiled
    html = client.get(reverse("leaderboard:model", args=[model.slug])).content.decode()
    shares = html.split('<table class="loss-shares">', 1)[1].split("</table>", 1)[0]
    assert 'algorithmic</th><td class="num">1</td><td class="num">50.0%' in shares
    assert 'constant factor</th><td class="num">1</td><td class="num">50.0%' in shares
    losses = html.split('<table class="algorithmic">', 1)[1].split("</table>", 1)[0]
    assert "HumanEval/0" in losses and "HumanEval/1" not in losses
    assert f'href="/submissions/{submission.pk}/samples/0/1/"' in losses
    assert ">1.99<" in losses and ">1.00<" in losses
