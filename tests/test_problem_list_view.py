import pytest
from django.urls import reverse

from problems.models import Problem, Tag
from tests.factories import make_problem

URL = reverse("problems:list")


@pytest.fixture
def problems(db) -> dict[str, Problem]:
    math = Tag.objects.create(slug="math", name="Math")
    strings = Tag.objects.create(slug="strings", name="Strings")
    Tag.objects.create(slug="graphs", name="Graphs")  # used by no active problem
    close = make_problem(
        0, title="has_close_elements", prompt='def f0(x):\n    """Doubles x."""\n', validated=True
    )
    close.tags.add(math)
    words = make_problem(
        1, title="count_words", prompt='def count_words(s):\n    """Counts PALINDROMES."""\n',
        validated=True,
    )
    words.tags.add(strings, math)
    hidden = make_problem(2, active=False, title="hidden_problem", validated=True)
    hidden.tags.add(strings)
    return {"close": close, "words": words, "hidden": hidden}


def titles(response) -> list[str]:
    return [problem.title for problem in response.context["problems"]]


def test_lists_active_problems_with_tags_and_links(client, problems):
    response = client.get(URL)

    assert response.status_code == 200
    assert titles(response) == ["has_close_elements", "count_words"]
    assert '<a href="/problems/humaneval-1/">count_words</a>' in response.text
    assert '<a class="tag" href="?tag=strings">Strings</a>' in response.text
    assert "hidden_problem" not in response.text


def test_tag_choices_count_active_problems_only(client, problems):
    response = client.get(URL)

    assert [(tag.slug, tag.problem_count) for tag in response.context["tags"]] == [
        ("math", 2), ("strings", 1)
    ]
    assert '<label for="problem-tag">Tag</label>' in response.text
    assert '<label for="problem-search">Search</label>' in response.text


def test_filters_by_tag(client, problems):
    response = client.get(URL, {"tag": "strings"})

    assert titles(response) == ["count_words"]
    assert '<option value="strings" selected>' in response.text


def test_unknown_tag_says_so(client, problems):
    response = client.get(URL, {"tag": "no-such-tag"})

    assert response.status_code == 200
    assert titles(response) == []
    assert "There is no tag “no-such-tag”." in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CLOSE", ["has_close_elements"]),  # title, any case
        ("humaneval/1", ["count_words"]),  # task id
        ("palindromes", ["count_words"]),  # prompt
        ("doubles", ["has_close_elements"]),
        ("hidden", []),  # inactive problems are never found
        ("nothing like this", []),
    ],
)
def test_searches_title_task_id_and_prompt(client, problems, query, expected):
    response = client.get(URL, {"q": query})

    assert titles(response) == expected


def test_search_and_tag_combine(client, problems):
    assert titles(client.get(URL, {"q": "count", "tag": "math"})) == ["count_words"]
    assert titles(client.get(URL, {"q": "count", "tag": "strings"})) == ["count_words"]
    assert titles(client.get(URL, {"q": "close", "tag": "strings"})) == []


def test_junk_query_is_harmless(client, problems):
    response = client.get(URL, {"q": "\x00close"})

    assert response.status_code == 200
    assert titles(response) == ["has_close_elements"]


def test_paginates_keeping_the_filters(client, db):
    for index in range(60):
        make_problem(index, title=f"function_{index}", validated=True)

    first = client.get(URL, {"q": "function"})
    second = client.get(URL, {"q": "function", "page": 2})

    assert len(first.context["problems"]) == 50
    assert 'href="?page=2&amp;q=function" rel="next"' in first.text
    assert titles(second) == [f"function_{index}" for index in range(50, 60)]
    assert client.get(URL, {"page": 3}).status_code == 404


def test_page_uses_the_shared_layout(client, problems):
    response = client.get(URL)

    assert '<a class="skip-link" href="#main">' in response.text
    assert '<main id="main"' in response.text
    assert '<a href="/">Leaderboard</a>' in response.text
    assert '<a href="/problems/" aria-current="page">Problems</a>' in response.text
    assert "ENAMEL</a> (Qiu et al., ICLR 2025; Apache-2.0)" in response.text
    assert "css/site.css" in response.text
