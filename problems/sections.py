"""Sections other apps add to a problem's page, below its reference solution.

settings.PROBLEM_PAGE_SECTIONS names them as dotted paths to functions of (request, problem)
returning HTML, in page order. The problems app knows nothing of who adds them: the
leaderboard adds how each model did on the problem and its efficiency profile.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

from problems.models import Problem

ProblemSection = Callable[[HttpRequest, Problem], SafeString]


def page_sections(request: HttpRequest, problem: Problem) -> list[SafeString]:
    """Each configured section rendered for this problem, in order."""
    sections: list[ProblemSection] = [
        import_string(path) for path in getattr(settings, "PROBLEM_PAGE_SECTIONS", ())
    ]
    return [section(request, problem) for section in sections]
