"""What the leaderboard adds to a problem's page: how each leaderboard model did on it."""

import json

import pytest
from django.test import RequestFactory

from leaderboard.pages.problem_sections import model_results
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission

pytestmark = pytest.mark.django_db

EVIL = "<script>alert(1)</script>"


def render(problem) -> str:
    return model_results(RequestFactory().get(problem.get_absolute_url()), problem)


def test_each_leaderboard_model_on_the_problem(db):
    problem = make_problem(7)
    good = make_submission(make_model("Good"))
    add_result(good, problem, [0.9, 0.6, None])
    odd = make_submission(make_model(EVIL))
    add_result(odd, problem, [0.1])
    hidden = make_submission(make_model("Hidden"), visibility="hidden")
    add_result(hidden, problem, [1.0])
    html = render(problem)
    assert "Hidden" not in html and EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("Good") < html.index("&lt;script&gt;")  # best eff@1 first
    assert "2 of 3" in html
    assert "2 correct, 1 wrong answer (" in html
    assert "0.0% / 60.0% / 90.0%" in html  # min / median / max sample efficiency
    boxes = json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert boxes["data"][0]["x"] == [90.0, 60.0, 0.0]


def test_no_results_yet(db):
    assert "No leaderboard model has results" in render(make_problem(8))


def test_a_censored_sample_is_correct_and_a_fast_one_above_100(db):
    problem = make_problem(9)
    result = add_result(make_submission(make_model("Quick")), problem, [1.13, 0.5])
    # Correct on level 0, then a timeout on level 2: censored, keeps levels 1's share.
    result.samples[1].update(status="timeout", efficiency=0.3, failed_level=2,
                             levels=[0.0, 0.7, 0.0, 0.0], error="timeout on level 2")
    result.save()
    html = render(problem)
    assert "1 correct, 1 correct, censored (" in html
    assert "2 of 2" in html and "failed" not in html
    boxes = json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert boxes["data"][0]["x"] == [113.0, 30.0]
    # The axis reaches past the fastest sample instead of stopping at 100.
    assert boxes["layout"]["xaxis"]["range"][1] > 113
