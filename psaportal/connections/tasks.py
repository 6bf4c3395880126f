"""Background work of the connect wizard: ensure, check, and a bounded poller.

The poller never holds a worker for long: one short long-poll per run, then it schedules
itself again with a countdown until the state settles or its deadline passes. Eager mode
(no Redis) runs one poll only, so a request is never held for minutes; the page's
"check again" continues from there.
"""

import time

from celery import shared_task

from psaportal.connections import services
from psaportal.connections.models import Connection
from psaportal.jobs import services as job_services
from psaportal.jobs.tasks import JobTask
from psaportal.membrane.errors import MembraneError

MAX_RETRIES = 3


def _retry_or_fail(task, error: MembraneError):
    """Retry a passing failure later (not in eager mode); otherwise fail readably."""
    problem = services.ConnectionProblem(services.describe_error(error))
    if task.request.is_eager or task.request.retries >= MAX_RETRIES:
        raise problem from error
    countdown = (
        error.retry_after if error.retry_after is not None else 2 ** (task.request.retries + 1)
    )
    raise task.retry(exc=problem, countdown=min(countdown, 60), max_retries=MAX_RETRIES)


def _watch(connection: Connection, job_id: int) -> None:
    if services.connection_needs_watching(connection):
        connection_watch.apply_async(
            (connection.pk, job_id, services.watch_deadline()),
            countdown=0 if connection.state == Connection.State.BUILDING else 2,
        )


@shared_task(base=JobTask, bind=True)
def connection_connect(self, job_id: int):
    """Ensure the ConnectWise PSA connection in Membrane and store the answer."""
    job_services.job_progress(job_id=job_id, done=0, total=1, summary="Asking Membrane…")
    try:
        connection = services.connection_ensure(job_id=job_id)
    except MembraneError as error:
        _retry_or_fail(self, error)
    job_services.job_progress(job_id=job_id, done=1)
    _watch(connection, job_id)
    connection.refresh_from_db()
    return f"Membrane reports the connection as {connection.get_state_display()}."


@shared_task(base=JobTask, bind=True)
def connection_check(self, job_id: int, connection_id: int):
    """Look at the connection again, e.g. after the admin finished in Membrane's page."""
    if not Connection.objects.filter(pk=connection_id).exists():
        raise services.ConnectionProblem("This connection is gone; connect again.")
    try:
        connection = services.connection_refresh(connection_id=connection_id, watcher_job_id=job_id)
    except MembraneError as error:
        _retry_or_fail(self, error)
    _watch(connection, job_id)
    connection.refresh_from_db()
    return f"Membrane reports the connection as {connection.get_state_display()}."


@shared_task(bind=True, ignore_result=True, acks_late=True)
def connection_watch(self, connection_id: int, job_id: int, deadline: float):
    """One poll of a connection that is building or waiting for the admin; reschedules itself.

    Only the newest job's watcher runs (older ones see another watcher_job_id and stop).
    """
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.watcher_job_id != job_id:
        return
    if not services.connection_needs_watching(connection) or time.time() > deadline:
        return
    try:
        connection = services.connection_refresh(connection_id=connection_id, watcher_job_id=job_id)
        countdown = services.poll_interval(connection)
    except MembraneError as error:
        if not error.retryable:
            return
        countdown = min(error.retry_after or 5, 60)
    except services.ConnectionProblem:
        return
    if self.request.is_eager or not services.connection_needs_watching(connection):
        return
    if time.time() + countdown < deadline:
        self.apply_async((connection_id, job_id, deadline), countdown=countdown)
