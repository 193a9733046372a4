from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from leaderboard.models import LanguageModel, Submission
from leaderboard.pages import charts
from leaderboard.standings import profiles
from leaderboard.standings.breakdown import submission_breakdown
from leaderboard.standings.queries import leaderboard_submissions, visible_submissions
from problems.models import problem_set_hash


def model_detail(request: HttpRequest, slug: str) -> HttpResponse:
    model = get_object_or_404(LanguageModel, slug=slug)
    submissions = list(visible_submissions(request.user).filter(model=model).order_by("-created"))
    # A model only known from unpublished submissions is not public yet.
    if not submissions:
        raise Http404("No such model")
    featured = leaderboard_submissions(problem_set_hash()).filter(model=model).first() or next(
        (s for s in submissions if s.status == Submission.Status.DONE), None
    )
    breakdown = submission_breakdown(featured) if featured else None
    return render(
        request,
        "leaderboard/model.html",
        {
            "model": model,
            "submissions": submissions,
            "breakdown": breakdown,
            "tag_chart": charts.tag_bars(breakdown) if breakdown else None,
            "level_chart": charts.level_bars(breakdown) if breakdown else None,
            "margin": profiles.MARGIN,
            "on_par": profiles.ON_PAR_EFFICIENCY,
        },
    )
