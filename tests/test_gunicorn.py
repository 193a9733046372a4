"""The production web process: gunicorn with deploy/gunicorn.conf.py, DEBUG off, whitenoise."""

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
HTTPS = {"X-Forwarded-Proto": "https"}  # what nginx sends after terminating TLS


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Site:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Site]:
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "EFFBOARD_VAR_DIR": str(tmp_path),
        "REDIS_URL": redis_server.url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    site = Site(port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                site.get("/healthz")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield site
    finally:
        server.terminate()
        server.wait(30)


def test_pages_and_hashed_static_files(site: Site) -> None:
    page = site.get("/admin/login/", HTTPS)
    assert page.status == 200, page.text
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "static URLs are not hashed: is the manifest storage on?"

    static = site.get(stylesheet.group(1), HTTPS)
    assert static.status == 200
    assert static.headers["Content-Type"].startswith("text/css")
    cache = static.headers["Cache-Control"]
    assert "max-age=315360000" in cache and "immutable" in cache


def test_plain_http_is_redirected_except_the_health_check(site: Site) -> None:
    page = site.get("/admin/login/")
    assert page.status == 301
    assert page.headers["Location"] == f"https://127.0.0.1:{site.port}/admin/login/"

    health = site.get("/healthz")
    assert health.status == 503  # no worker runs here
    assert json.loads(health.text) == {"database": "ok", "redis": "ok", "workers": 0}


def test_access_log_is_json_on_stdout(site: Site) -> None:
    site.get("/admin/login/", HTTPS)
    deadline = time.monotonic() + 30
    while "/admin/login/" not in site.log.read_text():
        assert time.monotonic() < deadline, site.log.read_text()
        time.sleep(0.1)
    entries = [json.loads(line) for line in site.log.read_text().splitlines()]
    access = [entry for entry in entries if entry["logger"] == "gunicorn.access"]
    assert any('"GET /admin/login/ HTTP/1.1" 200' in entry["message"] for entry in access)
    assert {"time", "level", "logger", "message"} <= set(access[0])
