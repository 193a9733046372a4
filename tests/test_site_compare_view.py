import json

import pytest
from django.urls import reverse

from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission

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
    # wins, ties, losses, problems, interval: one win and one tie over two problems.
    assert heatmap["customdata"][0][1][:4] == [1, 1, 0, 2]
    table = html.split('<table class="win-rates">', 1)[1].split("</table>", 1)[0]
    assert "75.0%" in table and "25.0%" in table and 'title="over 2 problems"' in table
    # Two problems leave the rate very uncertain: the interval says so.
    assert '<span class="ci">' in table and "1–1–0" in table and "0–1–1" in table


def test_a_rerun_of_the_same_samples_is_a_tie(client):
    """The same file evaluated twice moves every problem a little: ties, not 83% to 17%."""
    problems = [make_problem(i) for i in range(6)]
    first = [0.80, 0.42, 0.95, 0.10, 0.61, 0.33]
    moves = [0.03, -0.02, 0.04, 0.02, 0.03, 0.05]
    second = [e + m for e, m in zip(first, moves, strict=True)]
    for name, effs in [("Run 1", first), ("Run 2", second)]:
        submission = make_submission(make_model(name))
        for problem, eff in zip(problems, effs, strict=True):
            add_result(submission, problem, [eff, eff - 0.01])
    html = client.get(reverse("leaderboard:compare"), {"sort": "model"}).content.decode()
    assert figure(html, "win-rates")["data"][0]["z"] == [[None, 50.0], [50.0, None]]
    table = html.split('<table class="win-rates">', 1)[1].split("</table>", 1)[0]
    assert "0–6–0" in table and "83.3%" not in table


def test_samples_that_spread_widely_make_wider_ties(client):
    problems = [make_problem(i) for i in range(2)]
    # eff@1 0.5 against 0.3: decisive with tight samples, a tie when the samples scatter.
    for name, effs in [("Steady", [0.5, 0.5, 0.5, 0.5]), ("Other", [0.3, 0.3, 0.3, 0.3]),
                       ("Scattered", [0.1, 0.9, 0.1, 0.9])]:
        submission = make_submission(make_model(name))
        for problem in problems:
            add_result(submission, problem, effs)
    html = client.get(reverse("leaderboard:compare"), {"sort": "model"}).content.decode()
    names = figure(html, "win-rates")["data"][0]["y"]
    z = figure(html, "win-rates")["data"][0]["z"]
    other, scattered, steady = names.index("Other"), names.index("Scattered"), names.index("Steady")
    assert z[steady][other] == 100.0
    assert z[scattered][other] == 50.0


def test_scatter_of_eff_against_pass(client, board):
    html = client.get(reverse("leaderboard:compare"), {"sort": "model"}).content.decode()
    scatter = figure(html, "eff-pass")["data"][0]
    assert scatter["text"] == ["A", "B"]
    assert scatter["x"] == [100.0, pytest.approx(66.67)]
    assert scatter["y"] == [70.0, pytest.approx(26.67)]


def test_fewer_than_two_models(client, db):
    html = client.get(reverse("leaderboard:compare")).content.decode()
    assert "At least two models are needed" in html
