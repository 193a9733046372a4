"""Cached pages answer a revalidation with 304 while nothing they show changed."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from leaderboard.standings.leaderboard_cache import bump_version
from tests.factories import make_adder_problem
from tests.services import free_port
from tests.workers import use_test_queue

pytestmark = pytest.mark.django_db
PAGES = ["/", "/compare/", "/hardest/"]


@pytest.fixture
def redis_cache(settings, redis_server, tmp_path) -> None:
    use_test_queue(settings, redis_server, tmp_path)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "effboard-test-etag",
        }
    }
    make_adder_problem(0, reference_delay=0)


@pytest.mark.usefixtures("redis_cache")
@pytest.mark.parametrize("path", PAGES)
def test_unchanged_page_is_not_modified(client: Client, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]

    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # Another query string is another page.
    assert client.get(path + "?q=x", HTTP_IF_NONE_MATCH=etag).status_code == 200

    bump_version()  # what the leaderboard shows changed
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.usefixtures("redis_cache")
def test_the_signed_in_frame_has_its_own_etag(client: Client) -> None:
    anonymous = client.get("/")["ETag"]
    user = get_user_model().objects.create_user("alice", password="pw-123456789")
    client.force_login(user)
    signed_in = client.get("/", HTTP_IF_NONE_MATCH=anonymous)
    assert signed_in.status_code == 200
    assert signed_in["ETag"] != anonymous
    assert client.get("/", HTTP_IF_NONE_MATCH=signed_in["ETag"]).status_code == 304


def test_without_the_cache_there_is_no_etag(settings, client: Client) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    make_adder_problem(0, reference_delay=0)
    response = client.get("/", HTTP_IF_NONE_MATCH='W/"anything"')
    assert response.status_code == 200
    assert not response.has_header("ETag")
