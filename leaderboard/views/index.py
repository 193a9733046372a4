import math

from django.http import HttpRequest, HttpResponse

from leaderboard import charts, stats
from leaderboard.filters import LeaderboardFilterForm, sort_columns
from leaderboard.queries import leaderboard_table
from leaderboard.views.cached import cached_page

# A win-rate heatmap stops being readable well before this many models.
COMPARE_MAX_MODELS = 40


def index(request: HttpRequest) -> HttpResponse:
    def context() -> dict:
        form = LeaderboardFilterForm(request.GET)
        table = leaderboard_table(form.filters())
        return {
            "form": form,
            "table": table,
            "columns": sort_columns(request.GET, table),
            "heatmap": charts.tag_heatmap(table),
            "query": request.GET.urlencode(),
        }

    return cached_page(request, "Leaderboard", "leaderboard/_index.html", context)


def compare(request: HttpRequest) -> HttpResponse:
    def context() -> dict:
        form = LeaderboardFilterForm(request.GET)
        table = leaderboard_table(form.filters())
        shown = table.rows[:COMPARE_MAX_MODELS]
        rates, common = stats.win_rates(table.eff1[: len(shown)], table.pass1[: len(shown)] > 0)
        names = [row.name for row in shown]
        return {
            "form": form,
            "table": table,
            "shown": shown,
            "max_models": COMPARE_MAX_MODELS,
            "matrix": [
                (row, [_cell(rate, count) for rate, count in zip(rate_row, count_row, strict=True)])
                for row, rate_row, count_row in zip(shown, rates, common, strict=True)
            ],
            "win_rates": charts.win_rate_heatmap(names, rates, common),
            "scatter": charts.eff_pass_scatter(table),
        }

    return cached_page(request, "Compare models", "leaderboard/_compare.html", context)


def _cell(rate: float, count: int) -> tuple[float | None, int]:
    return (None if math.isnan(rate) else float(rate), int(count))
