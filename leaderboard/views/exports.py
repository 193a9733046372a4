"""CSV, JSON and JSON Lines downloads of the leaderboard and of one submission."""

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from leaderboard import exports
from leaderboard.breakdown import submission_breakdown
from leaderboard.filters import LeaderboardFilterForm
from leaderboard.queries import leaderboard_table, visible_submissions

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/jsonl",
}


def _download(frame: pd.DataFrame, fmt: str, filename: str) -> HttpResponse:
    if fmt == "csv":
        body = frame.to_csv(index=False)
    elif fmt == "json":
        body = frame.to_json(orient="records", date_format="iso")
    else:
        body = frame.to_json(orient="records", lines=True) if len(frame) else ""
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def leaderboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    table = leaderboard_table(LeaderboardFilterForm(request.GET).filters())
    return _download(exports.leaderboard_frame(table), fmt, f"effboard-leaderboard.{fmt}")


def submission_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    frame = exports.submission_frame(submission_breakdown(submission))
    return _download(frame, fmt, f"effboard-submission-{submission.pk}.{fmt}")


def samples_export(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    frame = exports.samples_frame(submission)
    return _download(frame, "jsonl", f"effboard-submission-{submission.pk}-samples.jsonl")
