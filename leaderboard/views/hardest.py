from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leaderboard.filters import LeaderboardFilterForm
from leaderboard.queries import LeaderboardFilters, hardest_problems, leaderboard_table


def hardest(request: HttpRequest) -> HttpResponse:
    form = LeaderboardFilterForm(request.GET)
    # Over every leaderboard model: only the tag narrows the problems listed.
    table = leaderboard_table(LeaderboardFilters(tag=form.filters().tag))
    return render(
        request,
        "leaderboard/hardest.html",
        {"form": form, "table": table, "problems": hardest_problems(table)},
    )
