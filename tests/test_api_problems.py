import pytest
from django.test import Client

from problems.models import Problem, Tag
from tests.factories import make_adder_problem

pytestmark = pytest.mark.django_db


def test_active_problems(client: Client) -> None:
    problems = [make_adder_problem(i) for i in range(3)]
    problems[0].tags.add(Tag.objects.create(slug="math", name="Math"))
    Problem.objects.filter(index=2).update(active=False)
    body = client.get("/api/problems").json()
    assert body["count"] == 2
    assert body["previous"] is None
    assert [p["task_id"] for p in body["results"]] == ["HumanEval/0", "HumanEval/1"]
    assert body["results"][0]["tags"] == ["math"]
    assert body["results"][0]["entry_point"] == "add_0"


def test_pages(client: Client) -> None:
    for i in range(3):
        make_adder_problem(i)
    first = client.get("/api/problems", {"page_size": 2}).json()
    assert first["count"] == 3
    assert first["next"] == "http://testserver/api/problems?page=2&page_size=2"
    second = client.get(first["next"]).json()
    assert [p["task_id"] for p in second["results"]] == ["HumanEval/2"]
    assert client.get("/api/problems", {"page": 9}).status_code == 404
