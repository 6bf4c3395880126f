"""Connecting ConnectWise PSA through Membrane: ensure, poll, and store what Membrane says.

The network calls run in Celery tasks (see tasks.py); the functions here are what those
tasks do, so they can be tested on their own.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.connections.client import membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.membrane.errors import (
    AuthError,
    MalformedResponseError,
    MembraneError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

CONNECT_JOB = "connection.connect"
CHECK_JOB = "connection.check"
JOB_KINDS = (CONNECT_JOB, CHECK_JOB)
#: Why an admin starts a connect job; each is audited under its own name.
CONNECT_INTENTS = ("connect", "retry", "reconnect")

#: Seconds one long-poll asks Membrane to hold the request while the state is BUILDING.
POLL_WAIT_SECONDS = 10
#: How long the background poller keeps watching one connect or check before giving up.
WATCH_SECONDS = 10 * 60
#: Pause between polls: short while building, longer while waiting for the person.
BUILDING_POLL_INTERVAL = 1
ACTION_POLL_INTERVAL = 3

WATCHED_STATES = (Connection.State.BUILDING, Connection.State.CLIENT_ACTION_REQUIRED)


class ConnectionProblem(Exception):
    """A failure described in words an admin can act on (it becomes the job's error)."""


# -- starting work (views call these) -----------------------------------------------------


def connection_connect_start(*, user, intent: str = "connect") -> Job:
    """Audit the admin's connect/retry/reconnect and queue the ensure task."""
    if intent not in CONNECT_INTENTS:
        intent = "connect"
    from psaportal.connections import tasks

    current = Connection.objects.order_by("-created_at").first()
    labels = {
        "connect": "Connect ConnectWise PSA",
        "retry": "Retry connecting ConnectWise PSA",
        "reconnect": "Reconnect ConnectWise PSA",
    }
    with transaction.atomic():
        record_audit(
            user=user,
            action=f"connection.{intent}",
            target_type="connection",
            target_id=current.membrane_id if current else "",
            summary=labels[intent],
            before={"state": current.state} if current else None,
        )
        return job_services.job_start(
            kind=CONNECT_JOB, label=labels[intent], user=user, task=tasks.connection_connect
        )


def connection_check_start(*, user, connection: Connection) -> Job:
    """Queue a fresh look at the connection (after the admin finished in the other tab)."""
    from psaportal.connections import tasks

    return job_services.job_start(
        kind=CHECK_JOB,
        label="Check the ConnectWise PSA connection",
        user=user,
        task=tasks.connection_check,
        args=(connection.pk,),
    )


# -- talking to Membrane (tasks call these) -------------------------------------------------


def connection_ensure(*, job_id: int) -> Connection:
    """Ask Membrane for the ConnectWise PSA connection (creating it if needed) and store it."""
    job = Job.objects.select_related("started_by").get(pk=job_id)
    answer = _call(
        lambda: membrane_client().ensure_connection(app_url=settings.CONNECTWISE_APP_URL)
    )
    return connection_store(answer=answer, user=job.started_by, watcher_job_id=job_id)


def connection_refresh(*, connection_id: int, watcher_job_id: int | None = None) -> Connection:
    """Fetch the connection again; long-polls (briefly) while Membrane is still building it."""
    connection = Connection.objects.get(pk=connection_id)
    building = connection.state == Connection.State.BUILDING
    answer = _call(
        lambda: membrane_client().get_connection(
            connection.membrane_id, wait=building, timeout=POLL_WAIT_SECONDS if building else None
        )
    )
    return connection_store(answer=answer, watcher_job_id=watcher_job_id)


def connection_store(*, answer: dict, user=None, watcher_job_id: int | None = None) -> Connection:
    """Create or update our Connection row from one Membrane connection answer."""
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str) or not answer["id"]:
        raise ConnectionProblem("Membrane answered without a connection id; try again.")
    errors = [error for error in answer.get("errors") or [] if isinstance(error, dict)]
    request_error = answer.get("requestError")
    if isinstance(request_error, dict) and request_error not in errors:
        errors.append(request_error)
    client_action = answer.get("clientAction")
    connected = answer.get("connected")
    if not isinstance(connected, bool):
        connected = answer.get("disconnected") is False
    fields = {
        "name": str(answer.get("name") or "")[:200],
        "state": str(answer.get("state") or "")[:32],
        "connected": connected,
        "is_defunct": answer.get("isDefunct") is True,
        "client_action": client_action if isinstance(client_action, dict) else None,
        "errors": errors,
        "raw": answer,
        "last_checked_at": timezone.now(),
    }
    if fields["state"] == Connection.State.READY and connected and not fields["is_defunct"]:
        fields["last_ready_at"] = fields["last_checked_at"]
    if watcher_job_id is not None:
        fields["watcher_job_id"] = watcher_job_id
    if user is not None and getattr(user, "is_authenticated", False):
        fields["connected_by"] = user
    connection, _ = Connection.objects.update_or_create(
        membrane_id=answer["id"][:100], defaults=fields
    )
    return connection


def connection_needs_watching(connection: Connection) -> bool:
    return connection.state in WATCHED_STATES


def watch_deadline() -> float:
    return time.time() + WATCH_SECONDS


def poll_interval(connection: Connection) -> int:
    if connection.state == Connection.State.BUILDING:
        return BUILDING_POLL_INTERVAL
    return ACTION_POLL_INTERVAL


# -- errors in words ------------------------------------------------------------------------


def describe_error(error: MembraneError) -> str:
    """What went wrong, for the admin, with what to do about it."""
    detail = error.message
    if isinstance(error, AuthError):
        return (
            "Membrane refused PSA Portal's credentials. Check MEMBRANE_TOKEN (or the workspace "
            f"key and secret) in the server settings. Membrane said: {detail}"
        )
    if isinstance(error, RateLimitError):
        wait = f" in {round(error.retry_after)} seconds" if error.retry_after else " shortly"
        return f"Membrane is receiving too many requests right now. Try again{wait}."
    if isinstance(error, NetworkError):
        return (
            f"Could not reach Membrane at {settings.MEMBRANE_API_URL}. Check that it is "
            "running and reachable from the server, then try again."
        )
    if isinstance(error, ServerError):
        return f"Membrane had a temporary problem. Try again in a minute. ({detail})"
    if isinstance(error, NotFoundError):
        return f"Membrane no longer knows this connection; connect again. ({detail})"
    if isinstance(error, MalformedResponseError):
        return f"Membrane sent an answer PSA Portal could not understand. ({detail})"
    return f"Membrane could not complete the request: {detail}"


def _call(request):
    """Run one Membrane request; turn non-retryable failures into readable ones."""
    try:
        return request()
    except MembraneError as error:
        if error.retryable:
            raise
        raise ConnectionProblem(describe_error(error)) from error
