"""The Django project: settings, root URLconf, WSGI entry point, /healthz and log format."""
