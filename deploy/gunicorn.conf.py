"""Gunicorn settings for the Effboard web process: `gunicorn -c deploy/gunicorn.conf.py`.

Read from the environment (see deploy/.env.example), so one file serves systemd and docker.
"""

import os
from pathlib import Path

# Works from any directory: the project root is where `leaderboard` can be imported.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "leaderboard.project.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Requests are short database reads; evaluation runs in the RQ workers, not here.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
# Sync workers, one request at a time each, behind nginx (which buffers slow clients). p95 is
# what the site is held to: in alternating bench/web_load.py runs on 2 cores, gthread (4
# workers x 2 or 4 threads, kept-alive connections) served up to 30 % more requests a second
# but, its threads sharing the GIL, with a wider spread (p95 45-95 ms against sync's 45-72);
# each thread would also hold a database connection of its own.
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# nginx on the same machine sets X-Forwarded-*; trust it only from there.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The control socket lives in $HOME, which the service user may not have; systemd and docker
# manage the process instead.
control_socket_disable = True

# Access and error logs go to stdout as the same JSON lines as Django's
# (leaderboard.project.json_logging).
accesslog = "-"
errorlog = "-"
# Gunicorn merges this into its defaults, whose root logger uses the "console" handler.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "leaderboard.project.json_logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
