import json
import re

import pytest
from django.urls import reverse

from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission, make_tag

pytestmark = pytest.mark.django_db

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def board():
    math = make_tag("math")
    problems = [make_problem(0, math), make_problem(1)]
    for name, effs, weights in [("Alpha", [0.9, 0.5], True), ("Beta", [0.2, 0.6], False)]:
        submission = make_submission(make_model(name, open_weights=weights))
        for problem, eff in zip(problems, effs, strict=True):
            add_result(submission, problem, [eff])
    hidden = make_submission(make_model("Secret"), visibility="hidden")
    add_result(hidden, problems[0], [1.0])
    pending = make_submission(make_model("Unreviewed"), visibility="pending")
    add_result(pending, problems[0], [1.0])
    return problems


def leaderboard_body(html: str) -> str:
    return html.split('<table class="leaderboard">', 1)[1].split("</table>", 1)[0]


def names_in_table(html: str) -> list[str]:
    return re.findall(r'<a href="/models/[^/]+/">([^<]+)</a>', leaderboard_body(html))


def test_leaderboard_lists_published_models_only(client, board):
    response = client.get(reverse("leaderboard:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert names_in_table(html) == ["Alpha", "Beta"]
    assert "Secret" not in html and "Unreviewed" not in html
    # eff@1 of Alpha: (0.9 + 0.5) / 2
    assert "70.0%" in html


def test_tag_filter_rescores(client, board):
    html = client.get(reverse("leaderboard:index"), {"tag": "math"}).content.decode()
    body = leaderboard_body(html)
    assert "90.0%" in body and "20.0%" in body  # eff@1 on problem 0 alone
    assert "70.0%" not in body


def test_filters_and_sort_links(client, board):
    html = client.get(reverse("leaderboard:index"), {"weights": "closed"}).content.decode()
    assert names_in_table(html) == ["Beta"]
    html = client.get(reverse("leaderboard:index"), {"sort": "model", "dir": "desc"}).content
    assert names_in_table(html.decode()) == ["Beta", "Alpha"]
    # The header link of the sorted column flips the direction and keeps the filters.
    html = client.get(
        reverse("leaderboard:index"), {"weights": "open", "sort": "eff1", "dir": "desc"}
    ).content.decode()
    assert 'href="?weights=open&amp;sort=eff1&amp;dir=asc"' in html


def test_bad_filter_values_are_ignored(client, board):
    response = client.get(reverse("leaderboard:index"), {"size_min": "lots", "sort": "x"})
    assert response.status_code == 200
    assert names_in_table(response.content.decode()) == ["Alpha", "Beta"]


def test_heatmap_figure_is_embedded_as_json(client, board):
    html = client.get(reverse("leaderboard:index")).content.decode()
    figure = json.loads(html.split('id="tag-heatmap" type="application/json">', 1)[1].split("<")[0])
    assert figure["data"][0]["type"] == "heatmap"
    assert figure["data"][0]["y"] == ["Alpha", "Beta"]
    assert "/static/vendor/plotly.min.js" in html and "cdn" not in html.lower()


def test_model_names_are_escaped(client, board):
    submission = make_submission(make_model(EVIL))
    add_result(submission, board[0], [0.4])
    html = client.get(reverse("leaderboard:index")).content.decode()
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_leaderboard(client, db):
    html = client.get(reverse("leaderboard:index")).content.decode()
    assert "no submission has been published" in html


def test_a_long_leaderboard_is_shown_a_page_at_a_time(client, db):
    problem = make_problem(0, make_tag("math"))
    for number in range(105):
        submission = make_submission(make_model(f"Model {number:03}"))
        add_result(submission, problem, [number / 105])
    html = client.get(reverse("leaderboard:index"), {"sort": "model"}).content.decode()
    names = names_in_table(html)
    assert names == [f"Model {number:03}" for number in range(100)]
    assert "Models 1–100 of 105" in html
    assert 'href="?sort=model&amp;page=2" rel="next"' in html
    figure = json.loads(html.split('id="tag-heatmap" type="application/json">', 1)[1].split("<")[0])
    assert len(figure["data"][0]["y"]) == 100  # the chart follows the page
    # The second page keeps the order; a sort link starts again at the first page.
    html = client.get(reverse("leaderboard:index"), {"sort": "model", "page": 2}).content.decode()
    assert names_in_table(html) == [f"Model {number:03}" for number in range(100, 105)]
    assert 'href="?sort=model&amp;page=1" rel="prev"' in html
    assert "page=" not in leaderboard_body(html).split("</thead>")[0]
    # A page past the end, or not a number, shows the last or first page.
    html = client.get(reverse("leaderboard:index"), {"sort": "model", "page": 9}).content.decode()
    assert names_in_table(html)[0] == "Model 100"
    html = client.get(reverse("leaderboard:index"), {"sort": "model", "page": "x"}).content.decode()
    assert names_in_table(html)[0] == "Model 000"


def test_coverage_column_and_complete_filter(client, board):
    partial = make_submission(make_model("Partial"))
    add_result(partial, board[0], [0.8])
    html = client.get(reverse("leaderboard:index"), {"sort": "model"}).content.decode()
    assert names_in_table(html) == ["Alpha", "Beta", "Partial"]
    body = leaderboard_body(html)
    assert body.count(">2 / 2</td>") == 2 and '<td class="num partial">1 / 2</td>' in body
    assert "does not include timing noise" in html
    complete = client.get(reverse("leaderboard:index"), {"complete": "on"}).content.decode()
    assert sorted(names_in_table(complete)) == ["Alpha", "Beta"]
