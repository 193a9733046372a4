"""Real RQ workers for the queue tests: `manage.py rqworker default` processes on the test
Redis and the test database (their problems are tests/factories.py's make_adder_problem)."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from tests.services import RedisServer, descendants


def enamel_json(samples: dict[int, list[str]]) -> bytes:
    """ENAMEL's upload format: entry N lists the samples for problem N."""
    return json.dumps([samples.get(i) for i in range(max(samples) + 1)]).encode()


def database_url() -> str:
    """The test database as a URL, for processes other than this one."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Quoted: the host may be a unix socket directory, the password anything.
        user, password, host = (
            quote(str(db[key] or ""), safe="") for key in ("USER", "PASSWORD", "HOST")
        )
        server = f"{host or 'localhost'}:{db['PORT'] or 5432}"
        return f"postgres://{user}:{password}@{server}/{db['NAME']}"
    raise NotImplementedError(f"no URL for database engine {db['ENGINE']}")


def worker_env(redis_url: str, test_cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "TEST_CACHE_DIR": str(test_cache),
        # A killed worker's job is taken again within seconds, not minutes.
        "RQ_HEARTBEAT_SECONDS": "1",
        "RQ_HEARTBEAT_GRACE_SECONDS": "4",
        "RQ_MAINTENANCE_SECONDS": "1",
    }


def use_test_queue(settings, server: RedisServer, tmp_path: Path) -> dict[str, str]:
    """Points the RQ queue at the test's private Redis, emptied; the env for its workers."""
    settings.RQ_QUEUES = {"default": {"URL": server.url, "DEFAULT_TIMEOUT": 3600}}
    redis.Redis.from_url(server.url).flushall()
    return worker_env(server.url, tmp_path / "test-cache")


class WorkerProcess:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = self.base_name = name
        self.env = env
        self.log = log
        self.restarts = 0
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", "default", "--name", self.name],
                cwd=settings.BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def revive(self) -> None:
        """Starts the worker again if it quit, as systemd's Restart=always does."""
        if not self.alive():
            self.restarts += 1
            # RQ refuses a name a dead worker still holds in Redis.
            self.name = f"{self.base_name}-restart-{self.restarts}"
            self.process = self._start()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (its work horse is in a process
        group of its own), as when a machine dies."""
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the job, then quit
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def running_workers(count: int, env: dict[str, str], logs: Path) -> Iterator[list[WorkerProcess]]:
    run = uuid.uuid4().hex[:8]  # names unique per test: RQ refuses a name still registered
    workers = [
        WorkerProcess(f"test-worker-{run}-{n}", env, logs / f"worker-{n}.log")
        for n in range(count)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def wait_for(condition: Callable[[], object], timeout: float, what: str, logs: Path) -> object:
    """Polls condition until it is truthy; on timeout fails with the workers' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    tails = "\n".join(
        f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:]
        for log in sorted(logs.glob("*.log"))
    )
    raise AssertionError(f"timed out waiting for {what}\n{tails}")
