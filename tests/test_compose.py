"""deploy/docker-compose.yml is a valid compose file (validated without a Docker engine)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COMPOSE_FILE = Path(__file__).resolve().parent.parent / "deploy" / "docker-compose.yml"


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    plugin = docker and subprocess.run([docker, "compose", "version"], capture_output=True)
    if plugin and plugin.returncode == 0:
        return [docker, "compose"]
    if legacy := shutil.which("docker-compose"):
        return [legacy]
    pytest.skip("neither `docker compose` nor docker-compose is installed")


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    secrets = {"SECRET_KEY", "POSTGRES_PASSWORD"}
    environment = {k: v for k, v in os.environ.items() if k not in secrets}
    return subprocess.run(
        [*compose_command(), "-f", str(COMPOSE_FILE), "config"],
        env={**environment, **env}, capture_output=True, text=True, timeout=120,
    )


def test_compose_file_is_valid() -> None:
    result = compose_config(SECRET_KEY="s3cret", POSTGRES_PASSWORD="pw", EFFBOARD_WORKERS="3")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["worker"]["deploy"]["replicas"] == 3
    assert services["web"]["environment"]["DEBUG"] == "0"
    assert "effboard:pw@postgres" in services["worker"]["environment"]["DATABASE_URL"]


def test_compose_refuses_to_start_without_secrets() -> None:
    result = compose_config(POSTGRES_PASSWORD="pw")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
