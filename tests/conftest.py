from pathlib import Path

import pytest
from django.conf import settings

from tests.services import running_redis


@pytest.fixture(autouse=True)
def _no_shared_cache(settings) -> None:
    """No test reads another's cached leaderboard, nor a developer's Redis: the cache tests
    point CACHES at the private redis_server themselves."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server for the whole session; tests flush it as they need."""
    with running_redis() as server:
        yield server


@pytest.fixture
def enamel_dir() -> Path:
    path = Path(settings.ENAMEL_DATA_DIR)
    if not (path / "enamel.csv").is_file():
        pytest.skip(f"ENAMEL data not found at {path} (set ENAMEL_DATA_DIR or provide ../shared)")
    return path


@pytest.fixture(scope="session", autouse=True)
def static_root() -> None:
    """whitenoise expects STATIC_ROOT to exist (collectstatic makes it in a real deployment)."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
