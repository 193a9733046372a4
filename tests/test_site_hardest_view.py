import re

import pytest
from django.urls import resolve, reverse

from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():
    graphs = make_tag("graphs")
    easy, hard, middling = make_problem(0), make_problem(1, graphs), make_problem(2, graphs)
    for name, effs in [("A", (0.9, 0.1, 0.5)), ("B", (0.7, None, 0.4))]:
        submission = make_submission(make_model(name))
        for problem, eff in zip((easy, hard, middling), effs, strict=True):
            add_result(submission, problem, [eff])
    # Covers problem 0 only: it must not drag the means of problems 1 and 2 down.
    add_result(make_submission(make_model("Partial")), easy, [0.2])
    hidden = make_submission(make_model("Hidden"), visibility="hidden")
    add_result(hidden, easy, [None])  # would make problem 0 the hardest if it counted


def listed(html: str) -> list[str]:
    return re.findall(r">(HumanEval/\d+)</a>", html.split('<table class="hardest">', 1)[1])


def test_hardest_first_over_leaderboard_models(client, board):
    response = client.get("/hardest/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("leaderboard:hardest") == "/hardest/"
    assert listed(html) == ["HumanEval/1", "HumanEval/2", "HumanEval/0"]
    assert "5.0%" in html  # mean eff@1 of problem 1: (0.1 + 0) / 2, Partial not counted
    assert "60.0%" in html  # problem 0: (0.9 + 0.7 + 0.2) / 3
    assert "1 of 2</td><td class=\"num\">2 of 3" in html  # solved by 1 of the 2 covering


def test_tag_narrows_the_list(client, board):
    html = client.get("/hardest/", {"tag": "graphs"}).content.decode()
    assert listed(html) == ["HumanEval/1", "HumanEval/2"]


def test_the_old_address_redirects_whatever_the_problems_app_matches(client, db):
    # The redirect is listed before problems/<slug>/, which would take "hardest" for a slug.
    match = resolve("/problems/hardest/")
    assert match.view_name != "problems:detail", "the redirect must come before problems/"

    response = client.get("/problems/hardest/", {"tag": "graphs"})

    assert response.status_code == 301
    assert response["Location"] == "/hardest/?tag=graphs"
