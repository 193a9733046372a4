"""bench/synthesize_results.py, which fills the leaderboard that bench/web_load.py measures."""

import importlib.util

import pytest
from django.conf import settings

from leaderboard.standings.queries import LeaderboardFilters, leaderboard_table
from tests.factories import make_problem

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "synthesize_results", settings.BASE_DIR / "bench" / "synthesize_results.py"
)
assert _spec is not None and _spec.loader is not None
synthesize_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthesize_results)


def test_published_models_with_a_result_on_each_problem():
    for index in range(3):
        make_problem(index)

    assert synthesize_results.synthesize(models=4, problems=2, seed=7) == 2

    table = leaderboard_table(LeaderboardFilters())
    assert sorted(row.slug for row in table.rows) == [f"synthetic-7-{i:04d}" for i in range(4)]
    assert {row.covered for row in table.rows} == {2}


def test_the_same_seed_replaces_its_models():
    make_problem(0)
    synthesize_results.synthesize(models=3, problems=1, seed=1)
    synthesize_results.synthesize(models=2, problems=1, seed=1)

    assert len(leaderboard_table(LeaderboardFilters()).rows) == 2


def test_without_problems_it_says_what_to_run():
    with pytest.raises(SystemExit, match="import_enamel"):
        synthesize_results.synthesize(models=1, problems=1, seed=0)
