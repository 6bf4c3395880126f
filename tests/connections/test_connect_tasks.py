"""The tasks: idempotent, bounded, and the poller reschedules through a real worker."""

import time

import pytest

from psaportal.connections import services, tasks
from psaportal.connections.models import Connection
from psaportal.jobs.models import Job
from psaportal.jobs.services import UNFINISHED
from psaportal.records.sync.services import SYNC_JOB
from tests.connections.helpers import connect, current


@pytest.mark.django_db
def test_a_finished_connect_job_does_nothing_when_run_again(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED
    before = wizard_sandbox.stats()["api_requests"]
    tasks.connection_connect.delay(job.pk)
    assert wizard_sandbox.stats()["api_requests"] == before


@pytest.mark.django_db
def test_an_outdated_watcher_stops_without_calling_membrane(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    connection = current()
    before = wizard_sandbox.stats()["api_requests"]
    tasks.connection_watch.delay(connection.pk, connection.watcher_job_id + 1, time.time() + 60)
    tasks.connection_watch.delay(connection.pk, connection.watcher_job_id, time.time() - 1)
    assert wizard_sandbox.stats()["api_requests"] == before


@pytest.mark.django_db
def test_eager_watch_polls_once_and_does_not_recurse(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 1)
    wizard_sandbox.set_settings(build_seconds=30)
    started = time.monotonic()
    connect(admin_client, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    assert current().state == Connection.State.BUILDING
    assert wizard_sandbox.stats()["api_requests"] == 2  # ensure + one long-poll


@pytest.mark.worker
def test_the_worker_keeps_polling_until_the_admin_authorizes(
    wizard_sandbox, admin, celery_worker, client_for
):
    """Real worker on Redis: nobody presses "check again", the poller notices by itself."""
    client = client_for(admin)
    client.post("/connection/connect/", {"intent": "connect"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        connection = Connection.objects.first()
        if connection and connection.state == Connection.State.CLIENT_ACTION_REQUIRED:
            break
        time.sleep(0.2)
    else:
        job = Job.objects.first()
        pytest.fail(
            "the connect task did not store CLIENT_ACTION_REQUIRED "
            f"(job {job.status if job else 'missing'}: {job.error if job else ''})"
        )
    wizard_sandbox.connection_step(connection.membrane_id, "authorize")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        connection.refresh_from_db()
        if connection.is_ready:
            break
        time.sleep(0.3)
    else:
        pytest.fail("the poller did not pick up READY")
    assert "Connected" in client.get("/connection/").content.decode()
    _first_sync_finishes()


@pytest.mark.worker
def test_the_worker_poller_rides_out_faults_until_the_admin_authorizes(
    wizard_sandbox, admin, celery_worker, client_for
):
    """429s with Retry-After, 5xx and dropped connections while polling: retried, not fatal."""
    client = client_for(admin)
    client.post("/connection/connect/", {"intent": "connect"})
    connection = _wait_for(
        lambda: Connection.objects.filter(state=Connection.State.CLIENT_ACTION_REQUIRED).first()
    )
    wizard_sandbox.set_faults(rate_limit_every=3, retry_after=1, error_every=4, drop_every=5)
    _wait_for(lambda: len(wizard_sandbox.stats()["faults_injected"]) == 3)  # each kind, once
    wizard_sandbox.connection_step(connection.membrane_id, "authorize")

    _wait_for(lambda: Connection.objects.get(pk=connection.pk).is_ready)

    wizard_sandbox.clear_faults()
    assert "Connected" in client.get("/connection/").content.decode()
    _first_sync_finishes()


def _first_sync_finishes():
    """READY queued the first sync on the worker: it runs to its end (and stops writing
    before the test's tables are emptied)."""
    sync = _wait_for(lambda: Job.objects.filter(kind=SYNC_JOB).first())
    _wait_for(lambda: Job.objects.filter(pk=sync.pk).exclude(status__in=UNFINISHED).exists(), 300)
    sync.refresh_from_db()
    assert sync.status == Job.Status.SUCCEEDED, sync.error


def _wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"still waiting after {seconds} s")
