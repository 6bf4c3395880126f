"""The checks behind /healthz: can this machine serve pages and get background work done?

Each check answers ``None`` when all is well, or a short reason (never an address, a
password or a token: the page is public)."""

from __future__ import annotations

import httpx
import redis
from django.conf import settings
from django.db import connection

from psaportal.celery import app as celery_app

#: Seconds each check may take: a load balancer asks often and must not wait long.
CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # in-process mode: no broker to reach
    with redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
    ) as client:
        client.ping()
    return None


def check_worker() -> str | None:
    if not settings.REDIS_URL:
        return None  # in-process mode: this process is the worker
    # Returns as soon as one worker answers; waits the whole timeout only when none does.
    answers = celery_app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, limit=1)
    return None if answers else "no Celery worker answered"


def check_membrane() -> str | None:
    # Any HTTP answer (even 401 or 404) means Membrane is reachable from here.
    httpx.get(settings.MEMBRANE_API_URL, timeout=CHECK_TIMEOUT_SECONDS)
    return None


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "membrane": check_membrane,
}


def health_report(*, names: list[str]) -> dict[str, dict]:
    """``{name: {"ok": bool, "error"?: reason}}`` for the named checks, in that order."""
    report = {}
    for name in names:
        try:
            problem = CHECKS[name]()
        except Exception as error:  # noqa: BLE001 - any failure is the answer, by its kind only
            problem = f"{type(error).__name__}"
        report[name] = {"ok": True} if problem is None else {"ok": False, "error": problem}
    return report
