"""Template helpers of the public site, and the section the problem page embeds.

On a problem page: {% load effboard %}{% problem_results problem %}
"""

from django import template

from leaderboard import charts
from leaderboard.queries import problem_results as results_on
from problems.models import Problem

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.1234 -> "12.3%"; a missing value is a dash."""
    if value is None:
        return "—"
    return f"{100 * value:.1f}%"


@register.filter
def status_label(status: str) -> str:
    return status.replace("_", " ")


@register.inclusion_tag("leaderboard/_problem_results.html")
def problem_results(problem: Problem) -> dict:
    entries = results_on(problem)
    return {
        "entries": entries,
        "chart": charts.efficiency_boxes(
            [entry.name for entry in entries], [entry.efficiencies for entry in entries]
        ),
    }
