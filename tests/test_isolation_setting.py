"""No silent downgrade: production insists on bubblewrap unless rlimits is chosen explicitly."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.sandbox import Sandbox
from tests.test_deploy_settings import ROOT, production_env


def isolation_setting(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; django.setup();"
         " print(settings.SANDBOX_ISOLATION)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "leaderboard.project.settings"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "bubblewrap"),
        ({"DEBUG": "1"}, "auto"),
        ({"SANDBOX_ISOLATION": "rlimits"}, "rlimits"),
    ],
)
def test_default_depends_on_debug(tmp_path: Path, overrides: dict, expected: str) -> None:
    assert isolation_setting(production_env(tmp_path, **overrides)) == expected


def test_bubblewrap_required_names_the_package_and_the_way_out(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as raised:
        Sandbox(isolation="bubblewrap")
    message = str(raised.value)
    assert "\n" not in message
    assert "bwrap is not installed" in message
    assert "install the bubblewrap package" in message
    assert "user.max_user_namespaces" in message
    assert "SANDBOX_ISOLATION=rlimits" in message
