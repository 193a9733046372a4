import sys
from types import ModuleType

import pytest
from django.urls import reverse

from evaluation.spec import ProblemSpec
from problems.models import Problem, Tag
from tests.factories import make_problem

FIELDS = {
    "task_id": "Custom/1",
    "index": "1001",
    "slug": "custom-1",
    "title": "Double",
    "entry_point": "double",
    "prompt": 'def double(x: int) -> int:\n    """Returns 2 * x."""\n',
    "input_generator": "def generate_input(size, lid, cid):\n    return (size,)\n",
    "reference_solution": "    return 2 * x\n",
    "checker": "def __check(input, answer, output):\n    return output == answer\n",
    "level_sizes": "1 10 100 1000",
    "tests_per_level": "2 1 1 1",
    "hardness": "0 3 3 4",
}


# The same problem as stored: the index a number, inactive until validated.
STORED = {**{name: value for name, value in FIELDS.items() if name != "index"}, "active": False}


@pytest.fixture
def problem(db) -> Problem:
    problem = make_problem(1001, **STORED)
    problem.tags.add(Tag.objects.create(slug="math", name="Math"))
    return problem


@pytest.fixture
def fake_engine(monkeypatch):
    """Stands in for evaluation.api: fails problems whose reference mentions "boom"."""
    validated: list[ProblemSpec] = []

    def validate_problem(spec: ProblemSpec) -> list[str]:
        validated.append(spec)
        if "boom" in spec.reference_solution:
            return ["reference solution raised RuntimeError: boom", "checker rejected test 0"]
        return []

    module = ModuleType("evaluation.api")
    module.validate_problem = validate_problem
    monkeypatch.setitem(sys.modules, "evaluation.api", module)
    return validated


@pytest.mark.parametrize(
    "query",
    ["", "?q=double", "?q=Custom%2F1", "?active__exact=0", "?tags__id__exact={tag}", "?q=nothing"],
)
def test_changelist_renders(admin_client, problem, query):
    # The tag's id, not 1: PostgreSQL does not reuse ids of rolled-back rows as SQLite does.
    query = query.format(tag=problem.tags.get().pk)
    response = admin_client.get(reverse("admin:problems_problem_changelist") + query)

    assert response.status_code == 200
    assert ("Custom/1" in response.text) == (query != "?q=nothing")


def test_changelist_shows_tags_and_validation(admin_client, problem):
    response = admin_client.get(reverse("admin:problems_problem_changelist"))

    assert '<td class="field-tag_list">Math</td>' in response.text
    assert 'alt="False"' in response.text  # not validated yet


def test_change_form_has_monospace_code_fields(admin_client, problem):
    response = admin_client.get(reverse("admin:problems_problem_change", args=[problem.pk]))

    assert response.status_code == 200
    assert 'class="code"' in response.text
    assert "css/admin-code.css" in response.text
    assert 'class="selectfilter"' in response.text  # filter_horizontal for tags


def test_tag_changelist_counts_problems(admin_client, problem):
    response = admin_client.get(reverse("admin:problems_tag_changelist") + "?q=mat")

    assert response.status_code == 200
    assert '<td class="field-problem_count">1</td>' in response.text


def test_adding_an_inactive_problem_saves_it_unvalidated(admin_client, db):
    response = admin_client.post(reverse("admin:problems_problem_add"), FIELDS)

    assert response.status_code == 302
    added = Problem.objects.get(task_id="Custom/1")
    assert added.reference_solution == FIELDS["reference_solution"]  # indentation kept
    assert not added.active
    assert added.validated_hash == ""
    assert added.content_hash == added.to_spec().content_hash()


def test_adding_an_active_unvalidated_problem_is_refused(admin_client, db):
    response = admin_client.post(reverse("admin:problems_problem_add"), {**FIELDS, "active": "on"})

    assert response.status_code == 200
    assert "cannot be activated until it validates" in response.text
    assert not Problem.objects.exists()


def test_bad_level_sizes_are_refused(admin_client, db):
    response = admin_client.post(
        reverse("admin:problems_problem_add"), {**FIELDS, "level_sizes": "1 ten 100 1000"}
    )

    assert response.status_code == 200
    assert "must be numbers" in response.text
    assert not Problem.objects.exists()


def run_validate(admin_client, *problems: Problem):
    return admin_client.post(
        reverse("admin:problems_problem_changelist"),
        {"action": "validate", "_selected_action": [p.pk for p in problems]},
        follow=True,
    )


def test_validate_action_marks_passing_problems_only(admin_client, problem, fake_engine):
    broken = make_problem(
        1002, **{**STORED, "task_id": "Custom/2", "slug": "custom-2",
                 "reference_solution": "    boom\n"},
    )
    updated = problem.updated

    response = run_validate(admin_client, problem, broken)

    assert [spec.task_id for spec in fake_engine] == ["Custom/1", "Custom/2"]
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [
        "Custom/2 failed: reference solution raised RuntimeError: boom; checker rejected test 0",
        "Validated 1: Custom/1",
    ]
    problem.refresh_from_db()
    broken.refresh_from_db()
    assert problem.validated_hash == problem.content_hash
    assert problem.updated == updated  # only validated_hash was written
    assert broken.validated_hash == ""


def test_validated_problem_can_be_activated(admin_client, problem, fake_engine):
    run_validate(admin_client, problem)
    data = {**FIELDS, "active": "on", "tags": [tag.pk for tag in problem.tags.all()]}

    response = admin_client.post(reverse("admin:problems_problem_change", args=[problem.pk]), data)

    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.active


def test_validate_action_runs_the_real_engine(admin_client, problem, settings, tmp_path):
    pytest.importorskip("evaluation.api", reason="evaluation.api is missing or incomplete")
    settings.TEST_CACHE_DIR = tmp_path  # keep generated tests out of var/
    broken = make_problem(
        1002, **{**STORED, "task_id": "Custom/2", "slug": "custom-2",
                 "reference_solution": "    raise RuntimeError('boom')\n"},
    )

    response = run_validate(admin_client, problem, broken)

    shown = [str(message) for message in response.context["messages"]]
    assert shown[-1] == "Validated 1: Custom/1"
    assert shown[0].startswith("Custom/2 failed: ")
    problem.refresh_from_db()
    broken.refresh_from_db()
    assert problem.validated_hash == problem.content_hash
    assert broken.validated_hash == ""

