"""Public pages whose content is the same for every visitor, rendered once per data version.

Rendering a 500-model leaderboard takes about a second, most of it in the template, so the
page content itself is cached, keyed by the query string (which also fills the filter form
and the sort links). The frame around it - the navigation with the user's name and CSRF
token, messages - is rendered per request.

Each page also carries a validator: an ETag made of what the page depends on (the cache's
data version, which every change to what the leaderboard shows bumps, the templates, the
query string, the user), known without rendering or a query. A
browser revalidates (Cache-Control: no-cache) and gets 304 with no body while nothing it
shows changed. Compression is left to the proxy (deploy/nginx-effboard.conf), off the web
workers' CPU.
"""

import functools
import hashlib
import os
from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template import Engine
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers

from leaderboard.project.shared_responses import mark_shared
from leaderboard.standings.leaderboard_cache import cached, current_version

FRAME = "leaderboard/page.html"


def cached_page(
    request: HttpRequest, title: str, template: str, context: Callable[[], dict]
) -> HttpResponse:
    """The page with `template` rendered from context() as its content, cached; 304 when the
    request's If-None-Match names what it would be."""
    etag = page_etag(request, template)
    if etag is not None and etag in _if_none_match(request) and not len(get_messages(request)):
        response: HttpResponse = HttpResponseNotModified()
    else:
        content = cached(
            f"page:{template}",
            request.GET.urlencode(),
            lambda: render_to_string(template, context(), request),
        )
        response = render(request, FRAME, {"title": title, "content": content})
        if not request.user.is_authenticated:
            # The frame of a visitor who is not signed in names no one: the same for all.
            mark_shared(response)
    if etag is not None:
        response["ETag"] = etag
    # Private: the frame names the signed-in user. Revalidated at every use.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def page_etag(request: HttpRequest, template: str) -> str | None:
    """A weak ETag (the frame's CSRF token differs per response, the page does not), or None
    when the cache cannot tell its data version."""
    version = current_version()
    if version is None:
        return None
    user = request.user.pk if request.user.is_authenticated else 0
    key = f"{version}|{_templates(template)}|{request.GET.urlencode()}|{user}"
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


@functools.cache
def _templates(template: str) -> str:
    """The page's templates as deployed (a new release may change them, not the data)."""
    stamps = [template]
    for name in (template, FRAME):
        origin = Engine.get_default().get_template(name).origin.name
        stamps.append(str(os.stat(origin).st_mtime_ns) if origin else "")
    return ":".join(stamps)


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip() for tag in header.split(",") if tag.strip()}
