from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evaluation.api import eval_settings
from leaderboard.standings import stats


def methodology(request: HttpRequest) -> HttpResponse:
    # The figures shown are the ones this site evaluates and compares with, not copies that
    # could drift from them.
    config = eval_settings()
    return render(
        request,
        "leaderboard/methodology.html",
        {
            "config": config,
            "memory_gib": config.memory_bytes / 1024**3,
            "ks": ", ".join(str(k) for k in config.ks),
            "rerun_noise": stats.RERUN_NOISE,
        },
    )
