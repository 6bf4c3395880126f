"""Redis restarted mid-run, without persistence: the messages it held are gone, but the
work is not lost silently. The database holds it (a sync's open pages, pending changes),
the beat sweeps send it again, and a page posted while Redis is down answers normally.

The test runs a Redis of its own on a free port (the shared one stays untouched) and
points this process and the worker at it."""

import socket
import subprocess
from datetime import timedelta

import pytest
import redis
from django.test import Client
from django.urls import reverse

from psaportal.actions.models import ProxyRequest
from psaportal.celery import app as celery_app
from psaportal.jobs.models import Job
from psaportal.jobs.services import QUEUE_DOWN
from psaportal.records import registry
from psaportal.records.changes import services as change_services
from psaportal.records.models import PendingChange, SyncRun
from psaportal.records.sync import services as sync_services
from tests.faults.conftest import wait_until
from tests.faults.pristine import mirror_differences
from tests.records.test_edit import edit_url, opened_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
TICKETS = registry.get_kind("tickets")
HOLD_MS = 4000
SUMMARY = "Saved while Redis was down"


class OwnRedis:
    """A redis-server on a free port, with no snapshot and no append-only file: a restart
    forgets everything, as a Redis without persistence does."""

    def __init__(self, folder):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, seconds=30, what="redis-server")

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def point_celery_at(url: str) -> None:
    """Send this process's tasks to ``url``. Kombu keeps one connection pool per broker
    address, so the shared Redis's pool is found again, open, when pointed back."""
    celery_app.conf.broker_url = url
    celery_app._after_fork()  # forget the app's current connection and producer pools


@pytest.fixture
def own_redis(tmp_path, celery_worker_process):
    server = OwnRedis(tmp_path)
    server.start()
    shared = celery_app.conf.broker_url
    point_celery_at(server.url)
    yield server
    point_celery_at(shared)
    celery_worker_process.stop()  # before its Redis goes, so it does not try to reconnect
    server.stop()


def test_a_redis_restart_mid_sync_loses_messages_not_work(
    psa_connection, technician, membrane_client, sandbox, own_redis, start_worker
):
    start_worker(REDIS_URL=own_redis.url, MEMBRANE_TIMEOUT_SECONDS="30")
    sandbox.reset(connections=False, faults=False)
    sandbox.set_faults(latency_ms=HOLD_MS, scope="psa")
    job = sync_services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")
    # Call 1 is the count, call 2 the newest open tickets (a first sync); Redis goes while
    # call 3 (page 1) is held.
    wait_until(lambda: sandbox.stats()["fault_calls"] >= 3, what="page 1's read")

    own_redis.stop()
    run = SyncRun.objects.get(job=job)
    # The held page is stored; sending page 2 finds no Redis, so the chain stops there.
    wait_until(lambda: SyncRun.objects.get(pk=run.pk).pages_done == 1, what="page 1 stored")
    sandbox.clear_faults()
    technician_client = Client()
    technician_client.force_login(technician)
    ticket = {"id": TICKETS.model.objects.order_by("psa_id").values_list("psa_id", flat=True)[0]}
    form = opened_form(technician_client, ticket)
    saved = technician_client.post(edit_url(ticket), form | {"summary": SUMMARY})
    assert saved.status_code == 302  # the edit is stored; only its message could not be sent
    change = PendingChange.objects.get()
    assert change.status == PendingChange.Status.PENDING
    assert change.job.summary.startswith(QUEUE_DOWN) and not change.job.is_finished

    own_redis.start()  # empty: the queue and the unacknowledged messages are gone
    # The beat sweeps, their waits cut short here.
    assert sync_services.sync_resume_stalled(older_than=timedelta(0)) == 1  # page 2
    assert change_services.pending_change_resend_stalled(older_than=timedelta(0)) == 1

    wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, what="the sync")
    wait_until(
        lambda: PendingChange.objects.get().status == PendingChange.Status.APPLIED,
        what="the edit",
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert sandbox.stats()["psa_writes"] == 1  # the edit, once
    path = f"/service/tickets/{ticket['id']}"
    assert membrane_client.proxy(psa_connection.membrane_id, "GET", path).json()["summary"] == (
        SUMMARY
    )
    assert (
        mirror_differences(connection=psa_connection, client=membrane_client, kinds=["tickets"])
        == []
    )


def test_with_redis_down_a_console_request_fails_at_once_saying_why(
    psa_connection, admin, own_redis
):
    celery_app.conf.task_always_eager = False  # send through the (stopped) Redis
    own_redis.stop()
    console = Client()
    console.force_login(admin)

    response = console.post(
        reverse("api_console:send"), {"method": "GET", "path": "/service/tickets"}
    )

    assert response.status_code < 500
    sent = ProxyRequest.objects.get()
    assert sent.status == ProxyRequest.Status.FAILED and sent.error.startswith(QUEUE_DOWN)
    assert sent.job.status == Job.Status.FAILED and sent.job.error == sent.error
