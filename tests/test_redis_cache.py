"""The project's Redis cache backend: Django's, with one redis-py client kept per pool."""

import redis

from leaderboard.project import settings
from leaderboard.project.redis_cache import RedisCache


def test_the_site_uses_it() -> None:
    # The settings module itself: the tests' django.conf.settings swap the cache out.
    assert settings.CACHES["default"]["BACKEND"] == "leaderboard.project.redis_cache.RedisCache"


def test_it_keeps_one_client_and_behaves_as_djangos(redis_server, monkeypatch) -> None:
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    cache = RedisCache(redis_server.url, {"KEY_PREFIX": "effboard-test-backend"})
    cache.delete("n")
    assert cache.get("n") is None
    assert cache.add("n", 1) and not cache.add("n", 2)
    assert cache.incr("n") == 2
    cache.set("page", b"x" * 1000, 60)
    assert cache.get("page") == b"x" * 1000
    assert cache.get_many(["n", "page"]) == {"n": 2, "page": b"x" * 1000}
    assert cache.delete("n") and cache.get("n") is None
    assert len(built) == 1
