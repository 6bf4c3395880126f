"""Syncing the mirror from the sandbox over real HTTP: full, incremental, deletions, faults.

Each test starts a sync through the service a view or the beat schedule calls, and reads
the result from the mirror, the SyncRun rows and the Job. Tasks run in-process, except in
the tests marked ``worker``: there they go through Redis to a real Celery worker.
"""

import gc
import math
import time

import pytest
from django.conf import settings
from django.db import connection as db_connection

from psaportal.connections.client import membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import dispatch
from psaportal.jobs.models import Job
from psaportal.membrane import MembraneClient
from psaportal.records import models, registry, search
from psaportal.records.models import (
    BoardStatus,
    RecordDocument,
    SyncPage,
    SyncRun,
    SyncState,
    Ticket,
)
from psaportal.records.sync import fetch, services, status, store, tasks
from psaportal.sandbox.psa import SeedScale
from psaportal.sandbox.testing import start_sandbox
from tests.records.mirror_rows import mirror_samples, ready_connection, sample_record

TICKETS = registry.get_kind("tickets")
CONNECTWISE_APP_URL = "https://www.connectwise.com/platform/business-management/psa"
SCALE = SeedScale(
    members=8,
    companies=30,
    contacts=60,
    tickets=2_500,  # three pages of 1000
    projects=6,
    opportunities=12,
    time_entries=1_200,
    products=20,
    expense_entries=15,
    configurations=40,
)


@pytest.fixture(scope="module")
def psa_sandbox():
    running = start_sandbox(scale=SCALE, build_seconds=0, auto_authorize=True)
    yield running
    running.stop()


@pytest.fixture
def psa(psa_sandbox, settings):
    """A freshly seeded sandbox behind the app's Membrane client."""
    psa_sandbox.reset(psa=True)
    settings.MEMBRANE_API_URL = psa_sandbox.url
    settings.MEMBRANE_TOKEN = psa_sandbox.token
    membrane_client.cache_clear()
    yield psa_sandbox
    psa_sandbox.reset(psa=True)
    membrane_client.cache_clear()


@pytest.fixture
def client(psa):
    with MembraneClient(base_url=psa.url, token=psa.token, timeout=10) as membrane:
        yield membrane


@pytest.fixture
def connection(db, client):
    answer = client.ensure_connection(app_url=CONNECTWISE_APP_URL)
    answer = client.get_connection(answer["id"])
    assert answer["state"] == "READY"
    return Connection.objects.create(
        membrane_id=answer["id"], state=Connection.State.READY, connected=True
    )


@pytest.fixture
def run_sync(django_capture_on_commit_callbacks, connection, run_deferred):
    """Start a sync as a view would and run its tasks (in-process) when it commits, with
    every retry it defers."""

    def run(kinds=("tickets",), mode="full"):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.sync_start(connection=connection, kinds=kinds_of(kinds), mode=mode)
        run_deferred()
        job.refresh_from_db()
        return job

    return run


def kinds_of(keys) -> list[registry.RecordKind]:
    return [registry.get_kind(key) for key in keys]


def psa_count(client, connection, path) -> int:
    return client.proxy(connection.membrane_id, "GET", f"{path}/count").json()["count"]


def psa_ids(client, connection, path) -> list[int]:
    ids, after = [], 0
    while True:
        page = client.proxy(
            connection.membrane_id,
            "GET",
            path,
            query={"pageSize": 1000, "pageId": after, "fields": "id"},
            headers={"pagination-type": "forward-only"},
        ).json()
        ids += [record["id"] for record in page]
        if len(page) < 1000:
            return ids
        after = page[-1]["id"]


def mirror_ids(connection) -> list[int]:
    return list(
        Ticket.objects.filter(connection=connection)
        .order_by("psa_id")
        .values_list("psa_id", flat=True)
    )


def requests_during(sandbox, action):
    sandbox.control("POST", "/_sandbox/reset", {"connections": False, "faults": False})
    result = action()
    return result, sandbox.stats()["psa_requests"]


def test_full_sync_mirrors_every_ticket(psa, client, connection, run_sync):
    total = psa_count(client, connection, "/service/tickets")
    pages = math.ceil(total / 1000)

    job, psa_requests = requests_during(psa, run_sync)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert mirror_ids(connection) == psa_ids(client, connection, "/service/tickets")
    # The count, the newest open tickets (a first sync), then one request per page.
    assert psa_requests == pages + 2
    run = SyncRun.objects.get(job=job)
    assert (run.kind, run.mode, run.status) == ("tickets", "full", "succeeded")
    assert (run.records_total, run.records_seen, run.records_upserted) == (total, total, total)
    assert (run.pages_total, run.pages_done, run.pages_failed) == (pages, pages, 0)
    assert run.requests == pages + 2
    assert run.records_deleted == 0
    assert run.started_at <= run.finished_at
    assert (job.progress_done, job.progress_total) == (pages, pages)
    assert f"{total:,} records" in job.summary
    assert list(SyncPage.objects.filter(run=run).values_list("done", flat=True)) == [True] * pages


def newest_open_ids(client, connection, size=fetch.NEWEST_PAGE_SIZE) -> list[int]:
    query = {
        "pageSize": size,
        "orderBy": "_info/lastUpdated desc",
        "conditions": "closedFlag = false",
        "fields": "id",
    }
    page = client.proxy(connection.membrane_id, "GET", "/service/tickets", query=query).json()
    return [record["id"] for record in page]


def begin_first_sync(connection) -> SyncRun:
    """A first full sync of tickets, begun (counted, newest page stored) but no page run."""
    job = services.sync_start(connection=connection, kinds=kinds_of(["tickets"]), mode="full")
    run = SyncRun.objects.get(job=job)
    assert services.sync_run_begin(run_id=run.pk) == 1
    return run


def test_a_first_sync_stores_the_newest_open_tickets_before_its_first_page(psa, client, connection):
    newest = newest_open_ids(client, connection)

    run = begin_first_sync(connection)

    assert len(newest) == fetch.NEWEST_PAGE_SIZE
    assert sorted(mirror_ids(connection)) == sorted(newest)
    assert not Ticket.objects.filter(connection=connection, closed_flag=True).exists()
    documents = RecordDocument.objects.filter(connection=connection, kind="tickets")
    assert sorted(documents.values_list("psa_id", flat=True)) == sorted(newest)
    run.refresh_from_db()
    assert (run.records_seen, run.pages_done, run.requests) == (0, 0, 2)


def test_newest_first_then_the_full_sync_mirrors_the_psa_exactly(
    psa, client, connection, django_capture_on_commit_callbacks, run_deferred
):
    run = begin_first_sync(connection)
    newest = newest_open_ids(client, connection)
    # Changed and deleted in the PSA after the newest page was read, before the pages run.
    changed, deleted = newest[0], newest[1]
    client.proxy(
        connection.membrane_id,
        "PATCH",
        f"/service/tickets/{changed}",
        json=[{"op": "replace", "path": "summary", "value": "Changed meanwhile"}],
    )
    client.proxy(connection.membrane_id, "DELETE", f"/service/tickets/{deleted}")

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.send(tasks.sync_page, run.job_id, run.pk, 1)
    run_deferred()

    run.refresh_from_db()
    expected = psa_ids(client, connection, "/service/tickets")
    assert run.status == "succeeded", run.error
    assert mirror_ids(connection) == expected  # no gaps, no duplicates, the deleted one gone
    assert deleted not in mirror_ids(connection)
    assert run.records_seen == len(expected) == run.records_total - 1
    assert run.records_deleted == 1
    assert Ticket.objects.get(connection=connection, psa_id=changed).summary == (
        "Changed meanwhile"
    )
    documents = RecordDocument.objects.filter(connection=connection, kind="tickets")
    assert sorted(documents.values_list("psa_id", flat=True)) == expected


def test_a_later_full_sync_does_not_fetch_the_newest_page_again(psa, client, connection, run_sync):
    run_sync()
    pages = math.ceil(psa_count(client, connection, "/service/tickets") / 1000)

    job, psa_requests = requests_during(psa, run_sync)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert psa_requests == pages + 1


def test_full_sync_keeps_the_record_and_its_typed_columns(psa, client, connection, run_sync):
    run_sync()
    record = client.proxy(connection.membrane_id, "GET", "/service/tickets/42").json()
    ticket = Ticket.objects.get(connection=connection, psa_id=42)
    document = RecordDocument.objects.get(connection=connection, kind="tickets", psa_id=42)
    assert document.data == record
    assert ticket.summary == record["summary"]
    assert ticket.status_name == record["status"]["name"]
    assert ticket.company_name == record["company"]["name"]
    assert ticket.last_updated == models.last_updated(record)
    assert set(search.words(record["summary"])) <= set(ticket.search_text.split())
    assert "42" in ticket.search_text.split()


def test_sync_all_fills_every_kind_and_the_lookups(psa, client, connection, run_sync):
    job = run_sync(kinds=[kind.key for kind in registry.sync_order()])

    assert job.status == Job.Status.SUCCEEDED, job.error
    runs = SyncRun.objects.filter(job=job)
    assert sorted(runs.values_list("kind", flat=True)) == sorted(registry.REGISTRY)
    assert set(runs.values_list("status", flat=True)) == {"succeeded"}
    for kind in registry.KINDS:
        if kind.parent:
            continue
        mirrored = kind.model.objects.filter(connection=connection).count()
        assert mirrored == psa_count(client, connection, kind.path), kind.key
    boards = registry.get_kind("boards").model.objects.filter(connection=connection)
    expected_statuses = sum(
        len(client.proxy(connection.membrane_id, "GET", f"/service/boards/{board}/statuses").json())
        for board in boards.values_list("psa_id", flat=True)
    )
    assert BoardStatus.objects.filter(connection=connection).count() == expected_statuses > 0
    states = SyncState.objects.filter(connection=connection)
    assert {state.kind for state in states if state.last_synced_at} == set(registry.REGISTRY)


def test_incremental_sync_fetches_only_what_changed(psa, client, connection, run_sync):
    run_sync()
    watermark = SyncState.objects.get(connection=connection, kind="tickets").watermark
    in_overlap = set(
        Ticket.objects.filter(
            connection=connection, last_updated__gt=watermark - fetch.OVERLAP
        ).values_list("psa_id", flat=True)
    )
    changed = {7, 1500, 2400}
    for psa_id in changed:
        client.proxy(
            connection.membrane_id,
            "PATCH",
            f"/service/tickets/{psa_id}",
            json=[{"op": "replace", "path": "summary", "value": f"Changed {psa_id}"}],
        )

    job, psa_requests = requests_during(psa, lambda: run_sync(mode="incremental"))

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert psa_requests <= 2
    run = SyncRun.objects.get(job=job)
    assert run.mode == "incremental"
    assert run.records_seen == len(changed | in_overlap)
    assert run.since == watermark - fetch.OVERLAP
    for psa_id in changed:
        assert Ticket.objects.get(connection=connection, psa_id=psa_id).summary == (
            f"Changed {psa_id}"
        )
    assert Ticket.objects.filter(connection=connection).count() == psa_count(
        client, connection, "/service/tickets"
    )
    state = SyncState.objects.get(connection=connection, kind="tickets")
    assert state.watermark > watermark
    assert state.last_incremental_at is not None


def test_incremental_sync_of_a_kind_never_synced_is_a_full_sync(psa, connection, run_sync):
    job = run_sync(kinds=["priorities"], mode="incremental")
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert SyncRun.objects.get(job=job).mode == "full"
    assert registry.get_kind("priorities").model.objects.count() > 0


def test_full_sync_removes_records_deleted_in_the_psa(psa, client, connection, run_sync):
    run_sync()
    before = Ticket.objects.filter(connection=connection).count()
    for psa_id in (3, 1999):
        client.proxy(connection.membrane_id, "DELETE", f"/service/tickets/{psa_id}")

    job = run_sync()

    assert job.status == Job.Status.SUCCEEDED, job.error
    run = SyncRun.objects.get(job=job)
    assert run.records_deleted == 2
    assert not Ticket.objects.filter(connection=connection, psa_id__in=[3, 1999]).exists()
    assert Ticket.objects.filter(connection=connection).count() == before - 2
    documents = RecordDocument.objects.filter(connection=connection, kind="tickets")
    assert not documents.filter(psa_id__in=[3, 1999]).exists()
    assert documents.count() == before - 2
    assert mirror_ids(connection) == psa_ids(client, connection, "/service/tickets")


def test_faults_mid_sync_are_retried_without_gaps_or_duplicates(psa, client, connection, run_sync):
    expected = psa_ids(client, connection, "/service/tickets")
    psa.set_faults(error_every=4, rate_limit_every=3, retry_after=0, drop_every=7, scope="psa")

    job = run_sync(kinds=["tickets", "time_entries"])

    faults = psa.stats()["faults_injected"]
    psa.clear_faults()
    assert sum(faults.values()) >= 3, faults
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert mirror_ids(connection) == expected
    run = SyncRun.objects.get(job=job, kind="tickets")
    assert run.records_seen == len(expected)
    assert run.requests > run.pages_total + 1  # the failed tries count too
    assert SyncPage.objects.filter(run__job=job, attempts__gt=1).exists()
    time_entries = registry.get_kind("time_entries").model.objects.filter(connection=connection)
    assert time_entries.count() == psa_count(client, connection, "/time/entries")


def test_a_psa_that_keeps_refusing_fails_the_run_and_keeps_the_mirror(psa, connection, run_sync):
    run_sync()
    mirrored = Ticket.objects.filter(connection=connection).count()
    psa.set_faults(rate_limit_every=1, retry_after=0, scope="psa")

    job = run_sync()

    psa.clear_faults()
    assert job.status == Job.Status.FAILED
    assert "tickets" in job.error and "too many requests" in job.error.lower()
    run = SyncRun.objects.get(job=job)
    assert run.status == "failed"
    assert run.requests == settings.TASK_MAX_ATTEMPTS
    assert Ticket.objects.filter(connection=connection).count() == mirrored


def test_a_second_start_returns_the_sync_already_under_way(connection):
    job = services.sync_start(connection=connection, kinds=kinds_of(["tickets"]), mode="full")
    again = services.sync_start(connection=connection, kinds=kinds_of(["companies"]), mode="full")
    assert again.pk == job.pk
    assert services.sync_job_active(connection=connection).pk == job.pk


@pytest.mark.parametrize(
    ("kinds", "mode"),
    [([], "full"), (["tickets"], "sideways")],
)
def test_a_sync_of_nothing_or_in_an_unknown_mode_is_refused(connection, kinds, mode):
    with pytest.raises(services.SyncProblem):
        services.sync_start(connection=connection, kinds=kinds_of(kinds), mode=mode)
    assert not Job.objects.exists()


def test_scheduled_sync_is_incremental_for_kinds_already_synced(
    psa, connection, run_sync, django_capture_on_commit_callbacks
):
    run_sync(kinds=["tickets"])
    with django_capture_on_commit_callbacks(execute=True):
        job = services.sync_scheduled_start()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    modes = dict(SyncRun.objects.filter(job=job).values_list("kind", "mode"))
    assert modes["tickets"] == "incremental"
    assert modes["companies"] == "full"


def test_scheduled_sync_does_nothing_without_a_ready_connection(db):
    assert services.sync_scheduled_start() is None
    assert not Job.objects.exists()


def test_record_refresh_fetches_one_record_live(
    psa, client, connection, run_sync, django_capture_on_commit_callbacks
):
    run_sync()
    client.proxy(
        connection.membrane_id,
        "PATCH",
        "/service/tickets/5",
        json=[{"op": "replace", "path": "summary", "value": "Fresh from the PSA"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.record_refresh(connection=connection, kind=TICKETS, psa_id=5)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Ticket.objects.get(connection=connection, psa_id=5).summary == "Fresh from the PSA"

    client.proxy(connection.membrane_id, "DELETE", "/service/tickets/5")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.record_refresh(connection=connection, kind=TICKETS, psa_id=5)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert "no longer exists" in job.summary
    assert not Ticket.objects.filter(connection=connection, psa_id=5).exists()


def test_sync_history_and_overview(psa, connection, run_sync):
    run_sync()
    run_sync(mode="incremental")
    history = status.sync_history(connection=connection)
    assert [(run["kind"], run["mode"]) for run in history] == [
        ("tickets", "Incremental"),
        ("tickets", "Full"),
    ]
    page = status.sync_status(connection=connection)
    kinds = {row["key"]: row for row in page["kinds"]}
    assert kinds["tickets"]["mirrored"] == Ticket.objects.count() > 0
    assert kinds["tickets"]["last_synced_at"] is not None
    assert kinds["companies"]["last_synced_at"] is None


@pytest.mark.django_db
def test_deleting_a_connection_deletes_its_mirror_and_documents():
    kept, gone = ready_connection(), Connection.objects.create(membrane_id="gone", name="Gone")
    mirror_samples(kept, "tickets", 3)
    mirror_samples(gone, "tickets", 5)

    gone.delete()

    assert Ticket.objects.filter(connection_id=gone.pk).count() == 0
    assert RecordDocument.objects.filter(connection_id=gone.pk).count() == 0
    assert Ticket.objects.filter(connection=kept).count() == 3
    assert RecordDocument.objects.filter(connection=kept).count() == 3


def wait_for_job(job, seconds: float = 180) -> Job:
    """The job once it has finished on the worker (polling its row; a generous deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.1)
    pytest.fail(f"the sync job did not finish on the worker: {job.status} {job.summary}")


@pytest.mark.worker
def test_on_a_real_worker_faults_are_retried_without_gaps_or_duplicates(
    psa, client, connection, celery_worker
):
    expected = psa_ids(client, connection, "/service/tickets")
    psa.set_faults(error_every=4, rate_limit_every=3, retry_after=1, drop_every=7, scope="psa")

    job = wait_for_job(
        services.sync_start(
            connection=connection, kinds=kinds_of(["tickets", "time_entries"]), mode="full"
        )
    )

    faults = psa.stats()["faults_injected"]
    psa.clear_faults()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert sum(faults.values()) >= 3, faults
    assert mirror_ids(connection) == expected  # complete, in order, each id once
    assert RecordDocument.objects.filter(connection=connection, kind="tickets").count() == len(
        expected
    )
    assert SyncPage.objects.filter(run__job=job, attempts__gt=1).exists()
    time_entries = registry.get_kind("time_entries").model.objects.filter(connection=connection)
    assert time_entries.count() == psa_count(client, connection, "/time/entries")


@pytest.mark.worker
def test_on_a_real_worker_a_psa_that_keeps_refusing_fails_the_job_with_a_reason(
    psa, connection, celery_worker, settings
):
    psa.set_faults(error_every=1, error_status=502, scope="psa")  # every proxy call

    job = wait_for_job(services.sync_start(connection=connection, kinds=[TICKETS]))

    psa.clear_faults()
    assert job.status == Job.Status.FAILED
    assert "tickets: Membrane had a temporary problem" in job.error, job.error
    assert f"gave up after {settings.TASK_MAX_ATTEMPTS} tries" in job.error
    assert SyncRun.objects.get(job=job).requests == settings.TASK_MAX_ATTEMPTS


def test_sync_pages_run_without_garbage_collection_and_turn_it_back_on(psa, connection, run_sync):
    run_sync()  # the first sync also stores the newest tickets, before its pages
    collector_on_while_storing = []

    def note_collector(execute, sql, params, many, context):
        if "records_ticket" in sql and ("INSERT" in sql or "EXISTS" in sql):
            collector_on_while_storing.append(gc.isenabled())
        return execute(sql, params, many, context)

    with db_connection.execute_wrapper(note_collector):
        job = run_sync()  # its pages only

    assert job.status == Job.Status.SUCCEEDED
    assert collector_on_while_storing and not any(collector_on_while_storing)
    assert gc.isenabled()


def test_a_sync_page_is_written_a_batch_to_a_transaction(connection):
    records = [sample_record("tickets", n) for n in range(600, 0, -1)]
    stored = store.store_in_batches(connection_id=connection.pk, kind=TICKETS, records=records)

    # Each batch's transaction counts one write to the mirror.
    batches = SyncState.objects.get(connection=connection, kind="tickets").mirror_generation
    assert batches == math.ceil(600 / store.WRITE_BATCH) == 3
    assert stored.count == 600
    assert stored.newest == max(models.last_updated(record) for record in records)
    assert mirror_ids(connection) == list(range(1, 601))
    synced = Ticket.objects.filter(connection=connection).values_list("synced_at", flat=True)
    assert len(set(synced)) == 1  # one moment for the page, whatever its batches


def test_records_none_of_which_is_mirrored_are_stored_exactly(connection):
    records = [sample_record("tickets", n) for n in range(1, 11)]
    store.store_records(connection_id=connection.pk, kind=TICKETS, records=records)

    assert mirror_ids(connection) == list(range(1, 11))
    documents = RecordDocument.objects.filter(connection=connection, kind="tickets")
    assert dict(documents.values_list("psa_id", "data")) == {r["id"]: r for r in records}
    ticket = Ticket.objects.get(connection=connection, psa_id=3)
    assert ticket.summary == records[2]["summary"]
    assert ticket.last_updated == models.last_updated(records[2])


def test_a_record_stored_meanwhile_makes_the_page_an_upsert(connection):
    # A document with no mirror row: the range looks unmirrored, the COPY then conflicts.
    RecordDocument.objects.create(connection=connection, kind="tickets", psa_id=5, data={})
    records = [sample_record("tickets", n) for n in range(1, 11)]

    stored = store.store_records(connection_id=connection.pk, kind=TICKETS, records=records)

    assert stored.count == 10
    assert mirror_ids(connection) == list(range(1, 11))
    documents = RecordDocument.objects.filter(connection=connection, kind="tickets")
    assert dict(documents.values_list("psa_id", "data")) == {r["id"]: r for r in records}


@pytest.mark.parametrize("odd_id", ["12", 1.5, True, {"id": 3}, None, 2**63, -(2**63) - 1])
def test_a_reference_with_an_id_that_is_no_whole_number_is_stored_without_it(connection, odd_id):
    """The mirror's reference columns are bigints, written in PostgreSQL's binary COPY:
    an id the PSA sends as text, a fraction, an object or past a bigint is left out, not
    the whole page."""
    record = sample_record("tickets", 1)
    record["company"] = {**record["company"], "id": odd_id}

    store.store_records(connection_id=connection.pk, kind=TICKETS, records=[record])

    ticket = Ticket.objects.get(connection=connection, psa_id=1)
    assert ticket.company_id is None
    assert ticket.company_name == record["company"]["name"]
    document = RecordDocument.objects.get(connection=connection, kind="tickets", psa_id=1)
    assert document.data["company"]["id"] == odd_id


def test_a_sort_order_past_an_integer_column_is_stored_without_it(connection):
    priorities = registry.get_kind("priorities")
    records = [
        {"id": 1, "name": "Past the column", "sortOrder": 2**31},
        {"id": 2, "name": "The column's largest", "sortOrder": 2**31 - 1},
    ]

    store.store_records(connection_id=connection.pk, kind=priorities, records=records)

    orders = dict(priorities.model.objects.values_list("psa_id", "sort_order"))
    assert orders == {1: None, 2: 2**31 - 1}


def test_a_record_whose_own_id_is_past_a_bigint_is_left_out_of_the_page():
    records = [sample_record("tickets", 1), {**sample_record("tickets", 2), "id": 2**63}]

    assert [record["id"] for record in fetch._records(records)] == [1]
    assert fetch.record_from_body(records[1]) is None
