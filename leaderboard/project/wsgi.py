"""WSGI entry point, used by gunicorn (`leaderboard.project.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.project.settings")

application = get_wsgi_application()
