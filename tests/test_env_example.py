"""deploy/.env.example names every setting the code reads from the environment."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = [ROOT / "leaderboard" / "project" / "settings.py", ROOT / "deploy" / "gunicorn.conf.py"]
READ = re.compile(r'(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*"([A-Z][A-Z0-9_]*)"')
LISTED = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_every_setting_is_in_env_example() -> None:
    read = {name for path in READERS for name in READ.findall(path.read_text())}
    listed = set(LISTED.findall((ROOT / "deploy" / ".env.example").read_text()))
    assert "SECRET_KEY" in read and "GUNICORN_BIND" in read  # the pattern still matches the code
    assert read - listed == set(), "add these to deploy/.env.example"
