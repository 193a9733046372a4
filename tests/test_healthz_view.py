"""/healthz against a real Redis and a real `manage.py rqworker`."""

import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client, override_settings

from tests.services import RedisServer

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    redis.Redis.from_url(redis_server.url).flushdb()
    with override_settings(RQ_QUEUES={"default": {"URL": redis_server.url}}):
        yield redis_server


def database_url_of_tests() -> str:
    """DATABASE_URL of the test database, for a worker process to share it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_no_worker_means_unhealthy(client: Client, fresh_redis: RedisServer) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "ok", "workers": 0}
    assert "no-cache" in response["Cache-Control"]


# The worker reads the database on start: it must see committed tables, not a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_makes_it_healthy(
    client: Client, fresh_redis: RedisServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "REDIS_URL": fresh_redis.url,
        "DATABASE_URL": database_url_of_tests(),
        "EFFBOARD_VAR_DIR": str(tmp_path),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while (response := client.get("/healthz")).status_code != 200:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert response.json() == {"database": "ok", "redis": "ok", "workers": 1}
    finally:
        worker.terminate()
        worker.wait(30)
    # A worker that shut down deregisters: the site is unhealthy again.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == 0


def test_redis_down_means_unhealthy(client: Client, fresh_redis: RedisServer) -> None:
    fresh_redis.stop()
    try:
        response = client.get("/healthz")
    finally:
        fresh_redis.start()
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: ")
    assert body["workers"] == 0
