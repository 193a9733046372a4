from django.http import HttpRequest, HttpResponse

from leaderboard.pages.cached_page import cached_page
from leaderboard.pages.filters import LeaderboardFilterForm
from leaderboard.standings.queries import LeaderboardFilters, hardest_problems, leaderboard_table


def hardest(request: HttpRequest) -> HttpResponse:
    def context() -> dict:
        form = LeaderboardFilterForm(request.GET)
        # Over every leaderboard model: only the tag narrows the problems listed.
        table = leaderboard_table(LeaderboardFilters(tag=form.filters().tag))
        return {"form": form, "table": table, "problems": hardest_problems(table)}

    return cached_page(request, "Hardest problems", "leaderboard/_hardest.html", context)
