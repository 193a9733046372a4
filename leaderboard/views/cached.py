"""Public pages whose content is the same for every visitor, rendered once per data version.

Rendering a 500-model leaderboard takes about a second, most of it in the template, so the
page content itself is cached, keyed by the query string (which also fills the filter form
and the sort links). The frame around it - the navigation with the user's name and CSRF
token, messages - is rendered per request.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from leaderboard.cache import cached


def cached_page(
    request: HttpRequest, title: str, template: str, context: Callable[[], dict]
) -> HttpResponse:
    """The page with `template` rendered from context() as its content, cached."""
    content = cached(
        f"page:{template}",
        request.GET.urlencode(),
        lambda: render_to_string(template, context(), request),
    )
    return render(request, "leaderboard/page.html", {"title": title, "content": content})
