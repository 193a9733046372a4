"""The leaderboard's cache, shared by every web process and worker through Django's cache.

Entries are keyed by the active problem set's hash and a version counter. Whatever changes
what the leaderboard shows bumps the counter once its transaction commits (see the signal
receivers in invalidation.py, connected in LeaderboardConfig.ready(), and bump_version's
other callers), so every entry of the previous version is unreachable at once and simply
expires.

The cache is an optimisation only: if it is unreachable the leaderboard is computed uncached
and the error is logged.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from django.core.cache import cache
from django.db import transaction

from problems.models import problem_set_hash

logger = logging.getLogger(__name__)

VERSION_KEY = "leaderboard:version"
# Long enough to serve a busy hour from one computation; stale entries of an older version
# are never read again, so this only bounds the memory they hold.
TIMEOUT = 3600
# A miss is computed by one process while the others poll for its result, up to WAIT_SECONDS;
# a lock left by a process that died expires after LOCK_SECONDS.
LOCK_SECONDS = 30
WAIT_SECONDS = 10
POLL_SECONDS = 0.05
# RedisCache raises these when Redis is down or slow.
CACHE_ERRORS = (redis.RedisError, OSError)

T = TypeVar("T")
_MISSING = object()


def current_version() -> int | None:
    """The version entries are read and written under; None if the cache is unreachable."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # Started from the clock, not 1: a counter that was lost (a Redis restart or an
            # eviction) never comes back to a number whose entries may still be stored.
            cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
            version = cache.get(VERSION_KEY)
        return version
    except CACHE_ERRORS as exc:
        logger.warning("Leaderboard cache unreachable, computing uncached: %s", exc)
        return None


def bump_version() -> None:
    """Makes every cached entry stale, now: call it after the change has committed."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet: any new one makes the old entries unreachable
            if not cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None):
                cache.incr(VERSION_KEY)  # another process created it meanwhile
    except CACHE_ERRORS as exc:
        # Entries of the old version are served until they expire, at most TIMEOUT later.
        logger.error("Could not invalidate the leaderboard cache: %s", exc)


def invalidate_on_commit() -> None:
    """Bumps the version once the current transaction commits (at once outside one)."""
    transaction.on_commit(bump_version)


def cached(kind: str, params: object, compute: Callable[[], T]) -> T:
    """compute()'s value, from the cache when this version already has it.

    `params` is what the value depends on besides the data, e.g. the LeaderboardFilters: its
    repr() must identify it, as a frozen dataclass's or a tuple of plain values' does.
    """
    version = current_version()
    if version is None:
        return compute()
    # Hashed: query strings may hold spaces and be long, which some cache backends refuse.
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    key = f"leaderboard:{problem_set_hash()}:{version}:{kind}:{digest}"
    try:
        value = cache.get(key, _MISSING)
        if value is _MISSING and not cache.add(f"{key}:lock", 1, LOCK_SECONDS):
            value = _wait_for(key)
    except CACHE_ERRORS as exc:
        logger.warning("Leaderboard cache unreachable, computing uncached: %s", exc)
        return compute()
    if value is _MISSING:
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
            cache.delete(f"{key}:lock")
        except CACHE_ERRORS as exc:
            logger.warning("Could not store %s in the leaderboard cache: %s", kind, exc)
    return value


def _wait_for(key: str) -> object:
    """The entry another process is computing, or _MISSING if it takes too long.

    Right after an invalidation every client misses at once: without waiting, each would
    compute the same page (a second of CPU for 500 models) and the site would stall.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
    return _MISSING
