"""The first sync starts by itself, once per connection, when Membrane first reports the
connection READY; the wizard then says the data is arriving. Against the sandbox over HTTP."""

import threading

import pytest
from django.db import connection as db_connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from psaportal.accounts.models import AuditEntry
from psaportal.connections import services
from psaportal.connections.models import Connection
from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import SyncRun, Ticket
from psaportal.records.sync.services import SYNC_JOB
from tests.connections.helpers import check, connect, current, page
from tests.fixtures.sandbox import CONNECTWISE_APP_URL

ARRIVING = "Your data is arriving: the ticket list fills as it syncs."
POLLING = 'hx-trigger="load delay:2s"'


def sync_jobs():
    return Job.objects.filter(kind=SYNC_JOB)


def authorized(admin_client, wizard_sandbox, capture) -> Connection:
    """The wizard's connection, authorized in Membrane but not yet seen READY by us."""
    connect(admin_client, capture)
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    return current()


@pytest.mark.django_db
def test_the_first_ready_answer_queues_a_full_sync_of_every_kind_once(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connection = authorized(admin_client, wizard_sandbox, django_capture_on_commit_callbacks)
    assert not sync_jobs().exists()

    # The poller's look at Membrane; its tasks stay queued (the test never commits).
    services.connection_refresh(connection_id=connection.pk)
    services.connection_refresh(connection_id=connection.pk)

    job = sync_jobs().get()
    assert job.status == Job.Status.QUEUED and job.started_by is None
    runs = SyncRun.objects.filter(job=job)
    assert sorted(runs.values_list("kind", flat=True)) == sorted(
        kind.key for kind in registry.sync_order()
    )
    assert set(runs.values_list("mode", flat=True)) == {SyncRun.Mode.FULL}
    audit = AuditEntry.objects.get(action="sync.start")
    assert (audit.user, audit.username, audit.target_id) == (None, "system", str(job.pk))
    assert current().first_sync_queued_at is not None

    content = page(admin_client).content.decode()
    assert ARRIVING in content
    assert f'<a href="{reverse("records:list", args=["tickets"])}">' in content
    assert "Sync everything again" in content  # the admin's resync stays
    # The page keeps polling while the records arrive, and shows how far the sync is.
    assert POLLING in content
    assert f'<a href="{reverse("jobs:detail", args=[job.pk])}">Details</a>' in content
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_done=3, progress_total=12, summary="Tickets: page 3"
    )
    content = page(admin_client).content.decode()
    assert '<progress value="3" max="12"' in content and "Tickets: page 3" in content


@pytest.mark.django_db
def test_connecting_in_process_fills_the_ticket_list_without_pressing_anything(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    """The embedded demo: no worker, the first sync runs in-process after the check."""
    authorized(admin_client, wizard_sandbox, django_capture_on_commit_callbacks)

    check(admin_client, django_capture_on_commit_callbacks)

    job = sync_jobs().get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Ticket.objects.filter(connection=current()).count() > 50
    rows = admin_client.get(reverse("records:list", args=["tickets"])).content.decode()
    assert rows.count('id="tickets-row-') == 50
    assert 'id="list-poll"' not in rows  # the sync is over: no refresh
    content = page(admin_client).content.decode()
    assert ARRIVING not in content and "Open the ticket list" in content
    assert POLLING not in content  # nothing left to wait for

    check(admin_client, django_capture_on_commit_callbacks)  # READY again: no second sync
    assert sync_jobs().count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_pollers_seeing_ready_at_once_start_one_sync(wizard_sandbox, membrane_client):
    wizard_sandbox.set_settings(build_seconds=0, auto_authorize=True)
    membrane_id = membrane_client.ensure_connection(app_url=CONNECTWISE_APP_URL)["id"]
    Connection.objects.create(membrane_id=membrane_id, state=Connection.State.BUILDING)
    answer = membrane_client.get_connection(membrane_id)
    assert answer["state"] == "READY"
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def poller():
        try:
            barrier.wait()
            services.connection_store(answer=answer)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            db_connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sync_jobs().count() == 1
    assert AuditEntry.objects.filter(action="sync.start").count() == 1


def migrate(targets):
    executor = MigrationExecutor(db_connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_connection_ready_before_the_migration_does_not_sync_again(
    wizard_sandbox, membrane_client
):
    wizard_sandbox.set_settings(build_seconds=0, auto_authorize=True)
    answer = membrane_client.ensure_connection(app_url=CONNECTWISE_APP_URL)
    ready_at = timezone.now()
    executor = MigrationExecutor(db_connection)
    latest = executor.loader.graph.leaf_nodes()
    old = migrate([("connections", "0003_last_ready_at")])
    try:
        OldConnection = old.get_model("connections", "Connection")
        OldConnection.objects.create(
            membrane_id=answer["id"], state="READY", connected=True, last_ready_at=ready_at
        )
        OldConnection.objects.create(membrane_id="never-ready", state="BUILDING")
    finally:
        migrate(latest)

    assert Connection.objects.get(membrane_id=answer["id"]).first_sync_queued_at == ready_at
    assert Connection.objects.get(membrane_id="never-ready").first_sync_queued_at is None
    services.connection_store(answer=membrane_client.get_connection(answer["id"]))
    assert not sync_jobs().exists()
    assert not AuditEntry.objects.filter(action="sync.start").exists()
