"""Background work of the connect wizard: ensure, check, and a bounded poller.

The poller never holds a worker for long: one short long-poll per run, then it sends
itself again after a pause (``dispatch.send`` with a countdown) until the state settles or
its deadline passes. In-process (no worker) that pause is kept on the job and the connect
page's poll resumes it, so the page notices the admin's authorization in both modes.
"""

from __future__ import annotations

import time

from celery import shared_task

from psaportal.connections import services
from psaportal.connections.models import Connection
from psaportal.jobs import dispatch
from psaportal.jobs import services as job_services
from psaportal.jobs.tasks import MembraneTask


def _watch(connection: Connection, job_id: int) -> None:
    if services.connection_needs_watching(connection):
        countdown = 0 if connection.state == Connection.State.BUILDING else 2
        dispatch.send(
            connection_watch,
            job_id,
            connection.pk,
            services.watch_deadline(),
            countdown=countdown,
        )


@shared_task(base=MembraneTask, bind=True)
def connection_connect(self, job_id: int):
    """Ensure the ConnectWise PSA connection in Membrane and store the answer."""
    job_services.job_progress(job_id=job_id, done=0, total=1, summary="Asking Membrane…")
    connection = services.connection_ensure(job_id=job_id)
    job_services.job_progress(job_id=job_id, done=1)
    _watch(connection, job_id)
    return f"Membrane reports the connection as {connection.get_state_display()}."


@shared_task(base=MembraneTask, bind=True)
def connection_check(self, job_id: int, connection_id: int):
    """Look at the connection again, e.g. after the admin finished in Membrane's page."""
    if not Connection.objects.filter(pk=connection_id).exists():
        raise services.ConnectionProblem("This connection is gone; connect again.")
    connection = services.connection_refresh(connection_id=connection_id, watcher_job_id=job_id)
    _watch(connection, job_id)
    return f"Membrane reports the connection as {connection.get_state_display()}."


class ConnectionWatchTask(MembraneTask):
    """A poll is a step after its connect or check job has finished: it never fails that
    job, and when it cannot go on, the page's "check again" is the way forward."""

    owns_job = False

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        pass


@shared_task(base=ConnectionWatchTask, bind=True)
def connection_watch(self, job_id: int, connection_id: int, deadline: float):
    """One poll of a connection that is building or waiting for the admin; sends itself
    again after a pause. Only the newest job's watcher runs (older ones see another
    ``watcher_job_id`` and stop)."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.watcher_job_id != job_id:
        return
    if not services.connection_needs_watching(connection) or time.time() > deadline:
        return
    connection = services.connection_refresh(connection_id=connection_id, watcher_job_id=job_id)
    countdown = services.poll_interval(connection)
    if services.connection_needs_watching(connection) and time.time() + countdown < deadline:
        dispatch.send(connection_watch, job_id, connection_id, deadline, countdown=countdown)
