from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evaluation.api import eval_settings


def methodology(request: HttpRequest) -> HttpResponse:
    # The settings shown are the ones this site evaluates with, not a copy that could drift.
    return render(request, "leaderboard/methodology.html", {"settings": eval_settings()})
