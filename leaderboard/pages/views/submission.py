from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from leaderboard.isolation import ISOLATED, UNKNOWN, isolations
from leaderboard.pages import charts
from leaderboard.standings.breakdown import submission_breakdown
from leaderboard.standings.queries import visible_submissions


def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    breakdown = submission_breakdown(submission)
    levels = isolations(submission)
    return render(
        request,
        "leaderboard/submission.html",
        {
            "submission": submission,
            "breakdown": breakdown,
            "isolations": levels,
            # Known to have run, at least in part, outside bubblewrap.
            "unisolated": levels not in ([ISOLATED], [UNKNOWN]),
            "tag_chart": charts.tag_bars(breakdown),
            "level_chart": charts.level_bars(breakdown),
        },
    )
