"""Health checks for whoever runs the server: `/health/` for a load balancer (can this web
process serve: database and cache answer), `/health/background/` for monitoring (are beat and
a worker running). Each answers 200 or 503 with a small JSON body that says what failed;
neither needs a login nor says anything about members."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from club import background

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means "not healthy"; the log keeps the reason
        logger.exception("Health check: the database does not answer")
        return "unreachable"
    return "ok"


def _cache() -> str:
    try:
        cache.set("health-check", "ok", 10)
        answered = cache.get("health-check")
    except Exception:
        logger.exception("Health check: the cache does not answer")
        return "unreachable"
    return "ok" if answered == "ok" else "not keeping values"


def _answer(checks: dict[str, str], healthy: bool) -> JsonResponse:
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )


@never_cache
@require_GET
def web(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "cache": _cache()}
    return _answer(checks, all(value == "ok" for value in checks.values()))


@never_cache
@require_GET
def background_work(request: HttpRequest) -> JsonResponse:
    if _database() != "ok":
        return _answer({"database": "unreachable"}, False)
    status = background.status()
    last_run = status.last_run.isoformat() if status.last_run else None
    return _answer(
        {"worker": "ok" if status.running else "stopped", "last_run": last_run}, status.running
    )
