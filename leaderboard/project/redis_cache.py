"""Django's Redis cache backend, with one redis-py client per connection pool, not per call.

Django builds a new redis.Redis for every cache operation (RedisCacheClient.get_client).
Its constructor (response-callback tables and the like) cost about 150 µs of CPU, twice
the GET it wraps: measured in a web worker, a cache.get took 235 µs of CPU where a kept
client took 82 µs. Every request to the leaderboard's pages reads the data version, so for
a response served from the process's own store (shared_responses) that was over a third of
Django's CPU per request.

A redis.Redis is safe to share between threads: each command takes a connection from the
pool and gives it back. The pools are Django's own, so options, the servers and the
read/write choice between them are unchanged; after a fork redis-py's pool discards the
parent's connections itself.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # _get_connection_pool and _client are Django's (django-stubs leaves them out).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # Django's pools live as long as this object
        if client is None:
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[id(pool)] = client
        return client


class RedisCache(DjangoRedisCache):
    """CACHES' BACKEND "leaderboard.project.redis_cache.RedisCache"; options as Django's."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
