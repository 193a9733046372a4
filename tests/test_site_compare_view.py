import json

import pytest
from django.urls import reverse

from tests.site_data import add_result, make_model, make_problem, make_submission

pytestmark = pytest.mark.django_db


def figure(html: str, figure_id: str) -> dict:
    marker = f'id="{figure_id}" type="application/json">'
    return json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])


@pytest.fixture
def board():
    problems = [make_problem(i) for i in range(3)]
    # A beats B on problem 0, ties on 1; problem 2 is solved by A only, so it is not compared.
    for name, effs in [("A", [[0.9], [0.5], [0.7]]), ("B", [[0.3], [0.5], [None]])]:
        submission = make_submission(make_model(name))
        for problem, samples in zip(problems, effs, strict=True):
            add_result(submission, problem, samples)


def test_win_rates_over_problems_both_solve(client, board):
    html = client.get(reverse("leaderboard:compare"), {"sort": "model"}).content.decode()
    heatmap = figure(html, "win-rates")["data"][0]
    assert heatmap["y"] == ["A", "B"]
    assert heatmap["z"] == [[None, 75.0], [25.0, None]]
    table = html.split('<table class="win-rates">', 1)[1].split("</table>", 1)[0]
    assert "75.0%" in table and "25.0%" in table and 'title="over 2 problems"' in table


def test_scatter_of_eff_against_pass(client, board):
    html = client.get(reverse("leaderboard:compare"), {"sort": "model"}).content.decode()
    scatter = figure(html, "eff-pass")["data"][0]
    assert scatter["text"] == ["A", "B"]
    assert scatter["x"] == [100.0, pytest.approx(66.67)]
    assert scatter["y"] == [70.0, pytest.approx(26.67)]


def test_fewer_than_two_models(client, db):
    html = client.get(reverse("leaderboard:compare")).content.decode()
    assert "At least two models are needed" in html
