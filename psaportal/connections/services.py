"""Connecting ConnectWise PSA through Membrane: ensure, poll, and store what Membrane says.

The network calls run in Celery tasks (see tasks.py); the functions here are what those
tasks do, so they can be tested on their own. A failed Membrane call raises its
``MembraneError``; the task base retries it or words it for the admin.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.connections.client import membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.membrane.errors import NotFoundError
from psaportal.records import registry
from psaportal.records.sync import services as sync_services

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


class ConnectionProblem(job_services.JobProblem):
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
    answer = membrane_client().ensure_connection(app_url=settings.CONNECTWISE_APP_URL)
    return connection_store(answer=answer, user=job.started_by, watcher_job_id=job_id)


def connection_refresh(*, connection_id: int, watcher_job_id: int | None = None) -> Connection:
    """Fetch the connection again; long-polls (briefly) while Membrane is still building it."""
    connection = Connection.objects.get(pk=connection_id)
    building = connection.state == Connection.State.BUILDING
    try:
        answer = membrane_client().get_connection(
            connection.membrane_id, wait=building, timeout=POLL_WAIT_SECONDS if building else None
        )
    except NotFoundError as error:
        raise ConnectionProblem(
            f"Membrane no longer knows this connection; connect again. ({error.message})"
        ) from error
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
    if connection.is_ready and connection.first_sync_queued_at is None:
        connection_first_sync_start(connection=connection)
    return connection


def connection_first_sync_start(*, connection: Connection) -> Job | None:
    """Queue the full sync of every kind the first time ``connection`` is READY, so its
    records arrive without anyone asking. Several pollers may see READY at once: one
    conditional update claims it, and only the winner starts the sync (None otherwise)."""
    with transaction.atomic():
        claimed = Connection.objects.filter(
            pk=connection.pk, first_sync_queued_at__isnull=True
        ).update(first_sync_queued_at=timezone.now())
        if not claimed:
            return None
        job = sync_services.sync_start(
            connection=connection,
            kinds=registry.sync_order(),
            label="First sync of all records",
            result_url=reverse("records:sync"),
        )
        record_audit(
            user=None,
            action="sync.start",
            target_type="job",
            target_id=job.pk,
            summary="First sync of all records, started when the connection became ready",
        )
    return job


def connection_needs_watching(connection: Connection) -> bool:
    return connection.state in WATCHED_STATES


def watch_deadline() -> float:
    return time.time() + WATCH_SECONDS


def poll_interval(connection: Connection) -> int:
    if connection.state == Connection.State.BUILDING:
        return BUILDING_POLL_INTERVAL
    return ACTION_POLL_INTERVAL
