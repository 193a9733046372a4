import math

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse

from leaderboard.pages import charts
from leaderboard.pages.cached_page import cached_page
from leaderboard.pages.filters import LeaderboardFilterForm, sort_columns
from leaderboard.standings import stats
from leaderboard.standings.queries import eff1_noise, leaderboard_table

# A win-rate heatmap stops being readable well before this many models.
COMPARE_MAX_MODELS = 40
# Rows per leaderboard page: 500 models on one page made a 680 KB page.
PAGE_ROWS = 100


def index(request: HttpRequest) -> HttpResponse:
    def context() -> dict:
        form = LeaderboardFilterForm(request.GET)
        table = leaderboard_table(form.filters())
        page = Paginator(table.rows, PAGE_ROWS).get_page(request.GET.get("page"))
        start = (page.number - 1) * PAGE_ROWS
        shown = table.rows_between(start, start + PAGE_ROWS)
        return {
            "form": form,
            "table": shown,
            "matching": len(table.rows),
            "page": page,
            "page_links": _page_links(request, page),
            "columns": sort_columns(request.GET, shown),
            "heatmap": charts.tag_heatmap(shown),
            "query": request.GET.urlencode(),
        }

    return cached_page(request, "Leaderboard", "leaderboard/_index.html", context)


def compare(request: HttpRequest) -> HttpResponse:
    def context() -> dict:
        form = LeaderboardFilterForm(request.GET)
        table = leaderboard_table(form.filters())
        compared = table.rows_between(0, COMPARE_MAX_MODELS)
        result = stats.win_rates(compared.eff1, compared.pass1 > 0, eff1_noise(compared))
        return {
            "form": form,
            "table": table,
            "shown": compared.rows,
            "max_models": COMPARE_MAX_MODELS,
            "rerun_noise": stats.RERUN_NOISE,
            "matrix": [
                (row, [_cell(result, a, b) for b in range(len(compared.rows))])
                for a, row in enumerate(compared.rows)
            ],
            "win_rates": charts.win_rate_heatmap([row.name for row in compared.rows], result),
            "scatter": charts.eff_pass_scatter(table),
        }

    return cached_page(request, "Compare models", "leaderboard/_compare.html", context)


def _page_links(request: HttpRequest, page: Page) -> dict[str, str]:
    """The query strings of the previous and next pages, keeping filters and order."""
    links = {}
    for name, has, number in (("previous", page.has_previous, page.number - 1),
                              ("next", page.has_next, page.number + 1)):
        if has():
            query = request.GET.copy()
            query["page"] = str(number)
            links[name] = "?" + query.urlencode()
    return links


def _cell(result: stats.WinRates, a: int, b: int) -> dict:
    """Row a against column b: the rate (None without common problems), its interval, counts."""
    rate = float(result.rates[a, b])
    wins, ties, common = (int(result.wins[a, b]), int(result.ties[a, b]),
                          int(result.common[a, b]))
    return {
        "rate": None if math.isnan(rate) else rate,
        "low": float(result.low[a, b]),
        "high": float(result.high[a, b]),
        "wins": wins,
        "ties": ties,
        "losses": common - wins - ties,
        "common": common,
    }
