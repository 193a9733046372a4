"""What the leaderboard adds to a problem's page (settings.PROBLEM_PAGE_SECTIONS, read by
problems.sections): how each leaderboard model did on the problem, and its efficiency
profile."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from leaderboard.pages import charts
from leaderboard.standings import profiles
from leaderboard.standings.queries import problem_profile, problem_results
from problems.models import Problem


def model_results(request: HttpRequest, problem: Problem) -> SafeString:
    entries = problem_results(problem)
    chart = charts.efficiency_boxes(
        [entry.name for entry in entries], [entry.efficiencies for entry in entries]
    )
    return render_to_string(
        "leaderboard/_problem_results.html", {"entries": entries, "chart": chart}, request
    )


def efficiency_profile(request: HttpRequest, problem: Problem) -> SafeString:
    spec = problem.to_spec()
    profile = problem_profile(problem)
    context = {
        "problem": problem,
        "profile": profile,
        "profile_chart": charts.profile_lines(profile),
        "levels_timed": [
            {"level": level, "size": spec.level_sizes[level]}
            for level, weight in enumerate(spec.hardness)
            if weight > 0
        ],
        "margin": profiles.MARGIN,
    }
    return render_to_string("leaderboard/_problem_profile.html", context, request)
