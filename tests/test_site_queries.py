import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.api import eval_settings
from leaderboard.api.serializers import LeaderboardRowSerializer
from leaderboard.pages.exports import LEADERBOARD_COLUMNS
from leaderboard.standings.queries import (
    KS,
    SORT_KEYS,
    LeaderboardFilters,
    hardest_problems,
    leaderboard_table,
    problem_results,
)
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():
    """Four active problems (two tagged math) and one retired; three scored models."""
    math, strings = make_tag("math"), make_tag("strings")
    problems = [
        make_problem(0, math),
        make_problem(1, strings),
        make_problem(2, math),
        make_problem(3, strings),
    ]
    retired = make_problem(9, math, active=False)
    fast = make_model("Fast", open_weights=True, parameters_billions=7)
    slow = make_model("Slow", organisation="Lab", parameters_billions=70)
    partial = make_model("Partial")
    fast_sub = make_submission(fast)
    for problem, effs in zip(problems, [[0.9], [0.8], [1.0], [0.7]], strict=True):
        add_result(fast_sub, problem, effs)
    add_result(fast_sub, retired, [0.0])  # must not count: the problem is inactive
    slow_sub = make_submission(slow)
    for problem, effs in zip(problems, [[0.2], [None], [0.4], [0.1]], strict=True):
        add_result(slow_sub, problem, effs)
    partial_sub = make_submission(partial)
    add_result(partial_sub, problems[0], [0.8])
    add_result(partial_sub, problems[1], [0.4])
    return {"problems": problems, "fast": fast_sub, "slow": slow_sub, "partial": partial_sub}


def row(table, name):
    return next(r for r in table.rows if r.name == name)


def test_one_row_per_model_scored_over_all_active_problems(board):
    table = leaderboard_table(LeaderboardFilters())
    assert [r.name for r in table.rows] == ["Fast", "Partial", "Slow"]
    assert row(table, "Fast").eff1 == pytest.approx((0.9 + 0.8 + 1.0 + 0.7) / 4)
    assert row(table, "Slow").pass1 == pytest.approx(3 / 4)
    # Partial covers two of four problems: the others count 0.
    assert row(table, "Partial").eff1 == pytest.approx((0.8 + 0.4) / 4)
    assert row(table, "Partial").pass1 == pytest.approx(2 / 4)
    assert row(table, "Fast").submission_id == board["fast"].pk
    assert len(table.problems) == 4


def test_tag_filter_rescores_over_the_tags_problems(board):
    table = leaderboard_table(LeaderboardFilters(tag="math"))
    assert table.tag.slug == "math"
    assert [p.index for p in table.problems] == [0, 2]
    assert row(table, "Fast").eff1 == pytest.approx((0.9 + 1.0) / 2)
    assert row(table, "Partial").eff1 == pytest.approx(0.8 / 2)
    assert row(table, "Slow").eff1 == pytest.approx((0.2 + 0.4) / 2)


def test_per_tag_scores_on_every_row(board):
    table = leaderboard_table(LeaderboardFilters())
    scores = {score.tag.slug: score for score in row(table, "Slow").tags}
    assert scores["math"].eff1 == pytest.approx(0.3)
    assert scores["strings"].eff1 == pytest.approx(0.05)
    assert scores["strings"].pass1 == pytest.approx(0.5)


def test_only_the_latest_published_finished_current_submission_counts(board):
    fast = board["fast"].model
    make_submission(fast, visibility="pending")  # newer, not published
    make_submission(fast, visibility="hidden")
    make_submission(fast, status="failed")
    make_submission(fast, stale=True)  # evaluated on another problem set
    older = make_submission(fast, days_ago=3)
    add_result(older, board["problems"][0], [0.1])
    table = leaderboard_table(LeaderboardFilters())
    assert row(table, "Fast").submission_id == board["fast"].pk
    # A model whose only published submission is stale is not on the board at all.
    make_submission(make_model("Old"), stale=True)
    assert "Old" not in [r.name for r in leaderboard_table(LeaderboardFilters()).rows]


def test_changing_a_problem_makes_every_submission_stale(board):
    problem = board["problems"][0]
    problem.reference_solution = "    return x + 0\n"
    problem.save()
    assert leaderboard_table(LeaderboardFilters()).rows == ()


def test_larger_k_only_where_every_covered_problem_has_enough_samples(board):
    ten = make_submission(make_model("Ten"))
    for problem in board["problems"]:
        add_result(ten, problem, [0.5] * 5 + [None] * 5)
    table = leaderboard_table(LeaderboardFilters())
    assert row(table, "Ten").n == 10
    assert row(table, "Ten").pass_at[10] == pytest.approx(1.0)
    assert row(table, "Ten").eff_at[10] == pytest.approx(0.5)
    assert row(table, "Ten").eff_at[100] is None
    assert row(table, "Fast").eff_at[10] is None
    assert table.ks == (1, 10)


def test_interval_contains_the_estimate_and_ranks_show_ties(board):
    table = leaderboard_table(LeaderboardFilters())
    for r in table.rows:
        assert r.eff1_ci_low <= r.eff1 <= r.eff1_ci_high
    fast, slow = row(table, "Fast"), row(table, "Slow")
    assert fast.eff1_ci_low > slow.eff1_ci_high
    assert fast.rank == 1 and slow.rank > 1
    # With only four problems, Partial's interval overlaps both neighbours': no strict order.
    partial = row(table, "Partial")
    assert partial.eff1_ci_high >= slow.eff1_ci_low
    assert partial.rank == 1 + sum(r.eff1_ci_low > partial.eff1_ci_high for r in table.rows)


def test_model_filters_keep_ranks_among_all_models(board):
    table = leaderboard_table(LeaderboardFilters(weights="open"))
    assert [r.name for r in table.rows] == ["Fast"]
    assert table.ranked_models == 3
    assert [r.name for r in leaderboard_table(LeaderboardFilters(weights="closed")).rows] == [
        "Partial",
        "Slow",
    ]
    sized = leaderboard_table(LeaderboardFilters(size_min=10, size_max=100))
    assert [r.name for r in sized.rows] == ["Slow"]  # unknown sizes are not in a range
    searched = leaderboard_table(LeaderboardFilters(q="ART"))
    assert [r.name for r in searched.rows] == ["Partial"]
    everyone = leaderboard_table(LeaderboardFilters())
    assert searched.rows[0].rank == row(everyone, "Partial").rank


def test_sorting_by_any_column(board):
    by_eff = leaderboard_table(LeaderboardFilters(sort="eff1", direction="asc"))
    # eff@1: Slow 0.175, Partial 0.3, Fast 0.85
    assert [r.name for r in by_eff.rows] == ["Slow", "Partial", "Fast"]
    desc = leaderboard_table(LeaderboardFilters(sort="eff1", direction="desc"))
    assert [r.name for r in desc.rows] == ["Fast", "Partial", "Slow"]
    by_size = leaderboard_table(LeaderboardFilters(sort="size", direction="desc"))
    assert [r.name for r in by_size.rows] == ["Slow", "Fast", "Partial"]  # unknown size last
    by_name = leaderboard_table(LeaderboardFilters(sort="model", direction="desc"))
    assert [r.name for r in by_name.rows] == ["Slow", "Partial", "Fast"]
    unknown = leaderboard_table(LeaderboardFilters(sort="nonsense"))
    assert unknown.rows[0].name == "Fast"


def test_matrices_follow_the_rows(board):
    table = leaderboard_table(LeaderboardFilters(sort="eff1", direction="asc"))
    assert table.eff1.shape == (3, 4)
    for i, r in enumerate(table.rows):
        assert table.eff1[i].mean() == pytest.approx(r.eff1)
        assert table.pass1[i].mean() == pytest.approx(r.pass1)


def test_query_count_does_not_grow_with_models(board):
    with CaptureQueriesContext(connection) as few:
        leaderboard_table(LeaderboardFilters())
    for number in range(5):
        submission = make_submission(make_model(f"Extra {number}"))
        for problem in board["problems"]:
            add_result(submission, problem, [0.3, None])
    with CaptureQueriesContext(connection) as many:
        table = leaderboard_table(LeaderboardFilters())
    assert len(table.rows) == 8
    assert len(many) == len(few)


def test_hardest_problems_lowest_mean_first(board):
    hard = hardest_problems(leaderboard_table(LeaderboardFilters()))
    # Mean eff@1 over the models that cover each problem: 0 -> (0.9+0.2+0.8)/3,
    # 1 -> (0.8+0+0.4)/3, 2 -> (1.0+0.4)/2, 3 -> (0.7+0.1)/2 (Partial covers only 0 and 1:
    # counting it as 0 on 2 and 3 would rank them harder than they are).
    by_index = {h.problem.index: h for h in hard}
    assert {h.problem.index for h in hard[:2]} == {1, 3}  # both 0.4
    assert [h.problem.index for h in hard[2:]] == [0, 2]
    assert by_index[3].mean_eff1 == pytest.approx(0.4)
    assert by_index[2].mean_eff1 == pytest.approx(0.7)
    assert by_index[1].solved_by == 2 and by_index[1].covered_by == 3
    assert by_index[2].covered_by == 2


def test_coverage_per_row_and_the_complete_filter(board):
    table = leaderboard_table(LeaderboardFilters())
    assert row(table, "Partial").covered == 2 and not row(table, "Partial").complete
    assert row(table, "Fast").covered == 4 and row(table, "Fast").complete
    complete = leaderboard_table(LeaderboardFilters(complete=True))
    assert [r.name for r in complete.rows] == ["Fast", "Slow"]
    # Ranks stay those among every model.
    assert [r.rank for r in complete.rows] == [row(table, "Fast").rank, row(table, "Slow").rank]
    # Under a tag, coverage counts the tag's problems.
    assert row(leaderboard_table(LeaderboardFilters(tag="math")), "Partial").covered == 1


def test_problem_results_lists_leaderboard_models_only(board):
    hidden = make_submission(make_model("Hidden"), visibility="hidden")
    add_result(hidden, board["problems"][0], [1.0])
    entries = problem_results(board["problems"][0])
    assert [e.name for e in entries] == ["Fast", "Partial", "Slow"]
    assert entries[0].efficiencies == (0.9,)
    assert entries[0].outcome_counts["passed"] == 1


def test_k_is_declared_once_and_every_column_follows_it():
    assert KS == eval_settings().ks  # the k the engine computes
    at_k = [f"{metric}@{k}" for k in KS for metric in ("eff", "pass")]
    assert [c for c in LEADERBOARD_COLUMNS if c.split("_")[0] in at_k] == [
        "eff@1", "eff@1_ci_low", "eff@1_ci_high", "pass@1", *at_k[2:]
    ]
    assert [key for key in SORT_KEYS if key[:3] in ("eff", "pas")] == [
        key.replace("@", "") for key in at_k
    ]
    api_fields = [name for name in LeaderboardRowSerializer().get_fields() if "@" in name]
    assert api_fields == ["eff@1", "eff@1_ci_low", "eff@1_ci_high", "pass@1", *at_k[2:]]
