"""CSV, JSON and JSON Lines downloads of the leaderboard and of one submission."""

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from leaderboard.pages import exports
from leaderboard.pages.filters import LeaderboardFilterForm
from leaderboard.project.shared_responses import mark_shared
from leaderboard.standings.breakdown import submission_breakdown
from leaderboard.standings.leaderboard_cache import cached
from leaderboard.standings.queries import leaderboard_table, visible_submissions

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/jsonl",
}


def _download(frame: pd.DataFrame, fmt: str, filename: str) -> HttpResponse:
    return _attachment(_body(frame, fmt), fmt, filename)


def _body(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", date_format="iso")
    return frame.to_json(orient="records", lines=True) if len(frame) else ""


def _attachment(body: str, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def leaderboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    filters = LeaderboardFilterForm(request.GET).filters()
    body = cached(
        f"export:{fmt}",
        filters,
        lambda: _body(exports.leaderboard_frame(leaderboard_table(filters)), fmt),
    )
    return mark_shared(_attachment(body, fmt, f"effboard-leaderboard.{fmt}"))


def submission_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    frame = exports.submission_frame(submission_breakdown(submission))
    return _download(frame, fmt, f"effboard-submission-{submission.pk}.{fmt}")


def samples_export(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    frame = exports.samples_frame(submission)
    return _download(frame, "jsonl", f"effboard-submission-{submission.pk}-samples.jsonl")
