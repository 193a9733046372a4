"""/healthz: can this site serve pages and get submissions evaluated?"""

import logging

import django_rq
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from rq import Worker

logger = logging.getLogger(__name__)


def _failure(what: str, error: Exception) -> str:
    # The page is public: the class name tells an operator where to look, the log has the rest.
    logger.error("health check: %s is unavailable", what, exc_info=error)
    return f"error: {type(error).__name__}"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return _failure("the database", error)
    return "ok"


def queue_status() -> tuple[str, int]:
    """Redis's status and how many workers listen on the default queue."""
    queue = django_rq.get_queue("default")
    try:
        queue.connection.ping()
        return "ok", len(Worker.all(queue=queue))
    except Exception as error:
        return _failure("redis", error), 0
    finally:
        queue.connection.close()


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    redis, workers = queue_status()
    checks = {"database": database_status(), "redis": redis, "workers": workers}
    healthy = checks["database"] == "ok" and redis == "ok" and workers > 0
    return JsonResponse(checks, status=200 if healthy else 503)
