"""The per-user upload limit (settings.UPLOAD_RATE_LIMIT, e.g. "5/hour").

Counted from the user's Submission rows rather than a cache, so every web process and the
API see the same count and a restart does not reset it.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from leaderboard.models import Submission

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def upload_rate() -> tuple[int, int]:
    """(uploads allowed, period in seconds), parsed as DRF parses its throttle rates."""
    count, period = settings.UPLOAD_RATE_LIMIT.split("/")
    return int(count), PERIODS[period.strip()[0]]


def seconds_until_upload_allowed(user) -> int:
    """0 if the user may upload now, otherwise how long until the oldest upload ages out."""
    allowed, period = upload_rate()
    since = timezone.now() - timedelta(seconds=period)
    recent = list(
        Submission.objects.filter(submitter=user, created__gt=since)
        .order_by("-created")
        .values_list("created", flat=True)[:allowed]
    )
    if len(recent) < allowed:
        return 0
    wait = recent[-1] + timedelta(seconds=period) - timezone.now()
    return max(1, math.ceil(wait.total_seconds()))


def rate_limit_message(wait_seconds: int) -> str:
    allowed, period = upload_rate()
    minutes = max(1, math.ceil(wait_seconds / 60))
    return (
        f"You have reached the limit of {allowed} uploads per {_period_name(period)}; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def _period_name(seconds: int) -> str:
    return {1: "second", 60: "minute", 3600: "hour", 86400: "day"}[seconds]
