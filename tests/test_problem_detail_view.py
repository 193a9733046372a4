from pathlib import Path

import pytest
from django.conf import settings
from pygments.formatters import HtmlFormatter

from problems.models import Problem, Tag


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
