"""Whole responses of the leaderboard's public pages and API, kept in each web process.

The content of these pages was already cached in Redis, yet a hit still cost the worker
3.3 ms of CPU for / and 2.5 ms for /api/leaderboard (measured in-process, Redis's and
PostgreSQL's own CPU apart): the data version and then the 150 KB content read from Redis,
the problem set's hash read from the database, the page's frame rendered, and the session,
CSRF, auth and messages middleware. With 50 connections on 2 cores that put p95 near
200 ms (bench/web_load.py). A visitor who sends no cookie and no credentials gets the same
bytes as every other such visitor, so this middleware keeps those bytes, in the process,
under the leaderboard's data version: a hit costs one Redis read (the version) and a
dictionary lookup, 0.3 ms of CPU in all (with redis_cache's kept client).

Freshness is the Redis cache's: the version is read from Redis on every request, never
remembered, so a change that bumps it (leaderboard_cache.bump_version) reaches the next
request of every process, as before; entries of an older version are dropped the moment a
newer one is seen. Without a reachable cache there is no version and nothing is kept.

Only responses a view marks with mark_shared() are kept: the view knows whether what it
rendered depends on who asked.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified

from leaderboard.standings.leaderboard_cache import current_version

# Bytes of bodies each web process keeps. Visitors choose query strings freely, so this
# bounds the memory they can make a process hold; the least recently used entry goes first.
MAX_BYTES = 32 * 1024 * 1024
# What a 304 repeats of the full response (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = ("ETag", "Cache-Control", "Vary", "Expires", "Content-Location")
_MARK = "effboard_shared"

R = TypeVar("R", bound=HttpResponseBase)


def mark_shared(response: R) -> R:
    """Declares `response` the same for every visitor without cookies or credentials."""
    setattr(response, _MARK, True)
    return response


@dataclass(frozen=True)
class Entry:
    content: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self, if_none_match: set[str]) -> HttpResponse:
        headers = dict(self.headers)
        etag = headers.get("ETag")
        if etag is not None and etag in if_none_match:
            not_modified = HttpResponseNotModified()
            for name in NOT_MODIFIED_HEADERS:
                if name in headers:
                    not_modified[name] = headers[name]
            return not_modified
        return HttpResponse(self.content, headers=headers)


class Store:
    """The entries of one data version, least recently used first; thread-safe (gthread)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.version: int | None = None
        self.entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()

    def get(self, version: int, key: tuple[str, ...]) -> Entry | None:
        with self._lock:
            if version != self.version:
                if self.version is None or version > self.version:
                    self._reset(version)  # the old entries can never be served again
                return None
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, version: int, key: tuple[str, ...], entry: Entry) -> None:
        with self._lock:
            if self.version is not None and version < self.version:
                return  # computed before the change that another request already saw
            if version != self.version:
                self._reset(version)
            if len(entry.content) > self.max_bytes:
                return
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old.content)
            self.entries[key] = entry
            self.size += len(entry.content)
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted.content)

    def clear(self) -> None:
        with self._lock:
            self._reset(None)

    def _reset(self, version: int | None) -> None:
        self.version = version
        self.entries.clear()
        self.size = 0


store = Store()


class SharedResponseMiddleware:
    """Serves a kept response to a GET without cookies (but the CSRF one) or credentials.

    It sits after SecurityMiddleware (HTTPS redirect, security headers: applied to every
    response, kept or not) and before SessionMiddleware, so that a hit skips the session,
    CSRF, auth and messages middleware, which have nothing to do for such a visitor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = shared_key(request)
        version = current_version() if key is not None else None
        if key is None or version is None:
            return self.get_response(request)
        entry = store.get(version, key)
        if entry is not None:
            return entry.response(_if_none_match(request))
        response = self.get_response(request)
        if (
            getattr(response, _MARK, False)
            and response.status_code == 200
            and isinstance(response, HttpResponse)  # not streaming
            and not response.cookies
        ):
            store.put(version, key, Entry(response.content, tuple(response.items())))
        return response


def shared_key(request: HttpRequest) -> tuple[str, ...] | None:
    """What a shared response may depend on, or None if this request may see another one.

    Any cookie but the CSRF token may carry a session, messages or something we do not know
    of; the Authorization header may sign the request in.
    """
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if any(name != settings.CSRF_COOKIE_NAME for name in request.COOKIES):
        return None
    scheme = "https" if request.is_secure() else "http"
    return (scheme, request.get_host(), request.get_full_path())


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip() for tag in header.split(",") if tag.strip()}
