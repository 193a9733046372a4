import json
from pathlib import Path

import pytest
from django.conf import settings
from pygments.formatters import HtmlFormatter

from problems.models import Problem, Tag
from tests.factories import make_problem
from tests.site_data import add_samples, make_model, make_submission, sample, timed_sample


def figure(html: str, figure_id: str) -> dict:
    marker = f'id="{figure_id}" type="application/json">'
    return json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])


@pytest.fixture
def problem(db) -> Problem:
    problem = Problem(
        task_id="HumanEval/7",
        index=7,
        slug="humaneval-7",
        title="filter_by_substring",
        entry_point="filter_by_substring",
        prompt='def filter_by_substring(strings, substring):\n    """Keeps <matches>."""\n',
        input_generator="def generate_input(size, lid, cid):\n    return (['a'] * size, 'a')\n",
        level_sizes="10 100 1000 5000",
        tests_per_level="8 4 4 2",
        hardness="0 3 2.5 4",
        reference_solution="    return [s for s in strings if substring in s]\n",
        checker="def __check(input, answer, output):\n    return output == answer\n",
        active=True,
    )
    problem.validated_hash = problem.to_spec().content_hash()
    problem.save()
    problem.tags.add(Tag.objects.create(slug="strings", name="Strings", description="Text."))
    return problem


def test_shows_the_problem(client, problem):
    response = client.get("/problems/humaneval-7/")

    assert response.status_code == 200
    text = response.text
    assert "<h1>filter_by_substring <span class=\"task-id\">HumanEval/7</span></h1>" in text
    assert '<a class="tag" href="/problems/?tag=strings" title="Text.">Strings</a>' in text
    assert "&lt;matches&gt;" in text  # the prompt, escaped
    assert "css/pygments.css" in text


def test_shows_each_level(client, problem):
    response = client.get(problem.get_absolute_url())

    assert response.context["levels"] == [
        {"size": 10, "tests": 8, "hardness": "0"},
        {"size": 100, "tests": 4, "hardness": "3"},
        {"size": 1000, "tests": 4, "hardness": "2.5"},
        {"size": 5000, "tests": 2, "hardness": "4"},
    ]
    assert "<tr><td>2</td><td>1000</td><td>4</td><td>2.5</td></tr>" in response.text


def test_highlights_the_reference_solution(client, problem):
    response = client.get(problem.get_absolute_url())

    reference = response.text.split("<h2>Reference solution</h2>")[1]
    assert '<div class="highlight"><pre>' in reference
    assert '<span class="k">return</span>' in reference
    assert '<span class="ow">in</span>' in reference


@pytest.mark.parametrize("slug", ["humaneval-8", "no-such-problem"])
def test_unknown_problem_is_not_found(client, problem, slug):
    assert client.get(f"/problems/{slug}/").status_code == 404


def test_inactive_problem_is_not_found(client, problem):
    Problem.objects.filter(pk=problem.pk).update(active=False)

    assert client.get(problem.get_absolute_url()).status_code == 404


def test_pygments_css_matches_the_installed_pygments():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "pygments.css").read_text()

    assert HtmlFormatter().get_style_defs(".highlight") in css


def test_efficiency_profile_of_reference_and_median_samples(client, db):
    problem = make_problem(3)  # level sizes 1 10 100 1000, hardness 0 3 3 4
    reference = [1e-6, 1e-4, 1e-3, 1e-2]  # linear from level 1 on
    linear = timed_sample([1e-6, 1.5e-4, 1.5e-3, 1.5e-2], reference)
    quadratic = timed_sample([1e-6, 2e-6, 2e-4, 1.9e-2], reference)
    add_samples(make_submission(make_model("Linear")), problem, [linear, sample(None)])
    add_samples(make_submission(make_model("Square")), problem, [sample(None), quadratic])
    html = client.get(problem.get_absolute_url()).content.decode()
    table = html.split('<table class="profile">', 1)[1].split("</table>", 1)[0]
    reference_row = table.split("<th scope=\"row\">Reference</th>", 1)[1].split("</tr>", 1)[0]
    assert "100 µs" in reference_row and "1 ms" in reference_row and "1.00" in reference_row
    square_row = table.split(">Square</a>", 1)[1].split("</tr>", 1)[0]
    assert "/submissions/" in square_row and "/samples/3/1/" in square_row
    assert ">1.99<" in square_row and "algorithmic" in square_row
    linear_row = table.split(">Linear</a>", 1)[1].split("</tr>", 1)[0]
    assert ">1.00<" in linear_row and "constant factor" in linear_row
    lines = figure(html, "profile-lines")
    assert lines["layout"]["xaxis"]["type"] == "log" and lines["layout"]["yaxis"]["type"] == "log"
    assert [trace["x"] for trace in lines["data"]] == [[10, 100, 1000]] * 3
    assert lines["data"][0]["name"] == "reference (exponent 1.00)"


def test_the_leaderboard_adds_its_sections_by_settings_only(client, problem, settings):
    with_sections = client.get(problem.get_absolute_url()).text
    assert "<h2>How the models did</h2>" in with_sections
    assert "<h2>Efficiency profile</h2>" in with_sections

    settings.PROBLEM_PAGE_SECTIONS = []
    alone = client.get(problem.get_absolute_url()).text

    assert "<h2>Reference solution</h2>" in alone
    assert "How the models did" not in alone and "Efficiency profile" not in alone
