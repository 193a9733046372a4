"""Whole responses kept in the web process for visitors without cookies or credentials
(leaderboard.project.shared_responses): served without a query, the same bytes and headers,
and fresh the moment what the leaderboard shows changes."""

import pytest
import redis
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leaderboard.project.shared_responses import Entry, Store, store
from problems.models import Problem
from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission

pytestmark = pytest.mark.django_db
SHARED = ["/", "/compare/", "/hardest/", "/api/leaderboard", "/export/leaderboard.csv"]


@pytest.fixture
def redis_cache(settings, redis_server) -> None:
    redis.Redis.from_url(redis_server.url).flushall()  # a new data version for this test
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "effboard-test-shared",
        }
    }
    store.clear()


@pytest.fixture
def board(redis_cache) -> Problem:
    problem = make_problem(0)
    add_result(make_submission(make_model("Alpha")), problem, [0.8])
    return problem


@pytest.mark.usefixtures("board")
@pytest.mark.parametrize("url", SHARED)
def test_a_kept_response_is_served_without_a_query(
    client: Client, django_assert_num_queries, url: str
) -> None:
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    # Security headers included: SecurityMiddleware still answers for every response.
    assert dict(second.items()) == dict(first.items())
    assert second["X-Content-Type-Options"] == "nosniff"


def test_a_newly_published_result_shows_at_once(
    client: Client, django_capture_on_commit_callbacks, board: Problem
) -> None:
    for url in ("/", "/api/leaderboard"):
        client.get(url)
        assert "Gamma" not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # bumps the data version
        add_result(make_submission(make_model("Gamma")), board, [0.9])
    assert "Gamma" in client.get("/").content.decode()
    assert "Gamma" in [row["model"] for row in client.get("/api/leaderboard").json()["rows"]]


@pytest.mark.usefixtures("board")
def test_a_kept_page_answers_a_revalidation_with_304(
    client: Client, django_assert_num_queries
) -> None:
    etag = client.get("/")["ETag"]
    with django_assert_num_queries(0):
        again = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "no-cache" in again["Cache-Control"]


@pytest.mark.usefixtures("board")
def test_a_signed_in_visitor_gets_their_own_frame(client: Client) -> None:
    anonymous = client.get("/").content.decode()
    assert client.get("/").content.decode() == anonymous  # kept
    client.force_login(get_user_model().objects.create_user("alice", password="pw-123456789"))
    assert "Log out alice" in client.get("/").content.decode()
    assert "alice" not in Client().get("/").content.decode()


@pytest.mark.usefixtures("board")
@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "sessionid=abc"},  # may be signed in, or have messages waiting
        {"Authorization": "Token abc"},
    ],
)
def test_a_visitor_with_a_cookie_or_credentials_is_not_served_a_kept_one(
    client: Client, headers: dict[str, str]
) -> None:
    client.get("/api/leaderboard")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/leaderboard", headers=headers)
    assert response.status_code in {200, 401}
    assert len(queries) > 0


@pytest.mark.usefixtures("board")
def test_a_page_not_marked_shared_is_not_kept(client: Client) -> None:
    client.get("/problems/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/problems/").status_code == 200
    assert len(queries) > 0


def entry(size: int) -> Entry:
    return Entry(b"x" * size, (("Content-Type", "text/plain"),))


def test_the_store_holds_at_most_its_bytes_dropping_the_least_recently_used() -> None:
    kept = Store(max_bytes=250)
    for name in ("a", "b"):
        kept.put(1, (name,), entry(100))
    assert kept.get(1, ("a",)) is not None  # now "b" is the least recently used
    kept.put(1, ("c",), entry(100))
    assert kept.get(1, ("b",)) is None
    assert kept.get(1, ("a",)) is not None and kept.get(1, ("c",)) is not None
    assert kept.size == 200
    kept.put(1, ("huge",), entry(251))
    assert kept.get(1, ("huge",)) is None


def test_the_store_forgets_an_older_version() -> None:
    kept = Store()
    kept.put(1, ("a",), entry(1))
    assert kept.get(2, ("a",)) is None
    assert kept.size == 0
    # Computed before the change another request already saw: not kept.
    kept.put(1, ("a",), entry(1))
    assert kept.get(1, ("a",)) is None and kept.get(2, ("a",)) is None
