"""Deletions in the PSA reaching the mirror: the hourly id sweep, and the mass-deletion guard
that stops an empty or cut-short answer from emptying the mirror (held for an admin's
review). Against the sandbox over real HTTP; tasks in-process."""

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import RecordDocument, SyncRun, Ticket
from psaportal.records.sync import services, store

pytestmark = pytest.mark.django_db
TICKETS = registry.get_kind("tickets")


@pytest.fixture
def run_sync(psa_connection, django_capture_on_commit_callbacks, run_deferred):
    """Start a sync of tickets as the sync page or the beat schedule would and run it."""

    def run(mode="full", kinds=(TICKETS,)):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.sync_start(connection=psa_connection, kinds=list(kinds), mode=mode)
        run_deferred()
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def psa_tickets(membrane_client, psa_connection):
    """The PSA's ticket ids, read as a third-party client would."""

    def ids() -> list[int]:
        found, after = [], 0
        while True:
            page = membrane_client.proxy(
                psa_connection.membrane_id,
                "GET",
                "/service/tickets",
                query={"pageSize": 1000, "pageId": after, "fields": "id"},
                headers={"pagination-type": "forward-only"},
            ).json()
            found += [row["id"] for row in page]
            if len(page) < 1000:
                return found
            after = page[-1]["id"]

    return ids


def mirrored(connection) -> list[int]:
    return list(
        Ticket.objects.filter(connection=connection)
        .order_by("psa_id")
        .values_list("psa_id", flat=True)
    )


def delete_in_psa(membrane_client, connection, psa_ids):
    for psa_id in psa_ids:
        membrane_client.proxy(connection.membrane_id, "DELETE", f"/service/tickets/{psa_id}")


def test_the_id_sweep_removes_what_the_psa_deleted_reading_only_ids(
    run_sync, psa_connection, membrane_client, psa_tickets, sandbox
):
    run_sync()
    before = mirrored(psa_connection)
    gone = [before[0], before[len(before) // 2], before[-1]]  # first page, middle, last
    delete_in_psa(membrane_client, psa_connection, gone)
    synced_at = dict(Ticket.objects.values_list("psa_id", "synced_at"))
    requests_before = sandbox.stats()["psa_requests"]

    job = run_sync(mode="sweep")

    requests = sandbox.stats()["psa_requests"] - requests_before
    assert job.status == Job.Status.SUCCEEDED, job.error
    run = SyncRun.objects.get(job=job)
    assert (run.mode, run.records_deleted, run.records_total) == ("sweep", 3, len(before))
    assert mirrored(psa_connection) == psa_tickets()
    assert not RecordDocument.objects.filter(kind="tickets", psa_id__in=gone).exists()
    # Only ids were read: the survivors were not stored again, one request per 1,000 ids.
    assert dict(Ticket.objects.values_list("psa_id", "synced_at")) == {
        psa_id: when for psa_id, when in synced_at.items() if psa_id not in gone
    }
    assert requests == -(-(len(before) - 3) // 1000)


def test_the_sweep_keeps_a_record_stored_after_it_began(run_sync, psa_connection):
    """A record the mirror gained after the sweep's start (an edit or a sync just stored it)
    is not the sweep's to judge, even if its page did not list it."""
    run_sync()
    sweep_began = store.database_now()
    newest = Ticket.objects.order_by("-psa_id").first()
    Ticket.objects.filter(pk=newest.pk).update(synced_at=store.database_now())
    missing = store.missing_in_range(
        connection_id=psa_connection.pk,
        kind=TICKETS,
        listed=[],
        after_id=newest.psa_id - 1,
        up_to=None,
        before=sweep_began,
    )
    assert not missing.exists()
    older = Ticket.objects.filter(psa_id__lt=newest.psa_id).order_by("-psa_id").first()
    assert list(
        store.missing_in_range(
            connection_id=psa_connection.pk,
            kind=TICKETS,
            listed=[],
            after_id=older.psa_id - 1,
            up_to=older.psa_id,
            before=sweep_began,
        ).values_list("psa_id", flat=True)
    ) == [older.psa_id]


def test_a_sweep_answered_with_empty_lists_deletes_nothing(
    sandbox_faults, run_sync, psa_connection
):
    run_sync()
    before = mirrored(psa_connection)
    sandbox_faults(empty_list_every=1, scope="psa")

    job = run_sync(mode="sweep")

    run = SyncRun.objects.get(job=job)
    assert (run.status, run.records_held, run.records_deleted) == ("failed", len(before), 0)
    assert "none were deleted" in run.error and "full sync" in run.error
    assert job.status == Job.Status.FAILED
    assert mirrored(psa_connection) == before


def test_a_full_sync_answered_with_empty_lists_holds_its_deletions_for_review(
    sandbox_faults, run_sync, psa_connection, client_for, admin
):
    run_sync()
    before = mirrored(psa_connection)
    sandbox_faults(empty_list_every=1, scope="psa")

    job = run_sync()

    run = SyncRun.objects.get(job=job)
    assert (run.status, run.records_held, run.records_deleted) == ("review", len(before), 0)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert "for your review" in job.summary
    assert mirrored(psa_connection) == before
    client = client_for(admin)
    sync_page = client.get(reverse("records:sync")).content.decode()
    review_url = reverse("records:sync_review", args=[run.pk])
    assert review_url in sync_page
    page = client.get(review_url).content.decode()
    assert f"{len(before)} tickets the PSA no longer lists" in page
    assert f'href="/records/tickets/{before[0]}/"' in page
    assert "The first 200 of" in page

    response = client.post(review_url, {"decision": "keep"}, follow=True)

    assert "Kept" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "succeeded" and run.records_deleted == 0
    assert mirrored(psa_connection) == before
    assert AuditEntry.objects.filter(action="sync.deletions_kept", user=admin).exists()
    again = client.post(review_url, {"decision": "delete"}, follow=True).content.decode()
    assert "already reviewed" in again
    assert mirrored(psa_connection) == before


def test_deleting_held_records_after_review_leaves_what_the_psa_listed(
    sandbox_faults, run_sync, psa_connection, sandbox, client_for, admin, psa_tickets
):
    run_sync()
    in_psa = psa_tickets()
    sandbox_faults(empty_list_every=2, scope="psa")  # page 2 comes back empty: cut short

    run = SyncRun.objects.get(job=run_sync())

    listed = mirrored(psa_connection)[:1000]
    assert run.status == "review" and run.records_held == len(in_psa) - 1000
    response = client_for(admin).post(
        reverse("records:sync_review", args=[run.pk]), {"decision": "delete"}, follow=True
    )
    assert "Deleted" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.records_deleted) == ("succeeded", run.records_held)
    assert mirrored(psa_connection) == listed
    assert AuditEntry.objects.filter(action="sync.deletions_deleted").count() == 1
    # The next full sync, answered in full, brings them back.
    sandbox.clear_faults()  # the next sync is answered in full
    assert run_sync().status == Job.Status.SUCCEEDED
    assert mirrored(psa_connection) == in_psa


def test_the_guard_can_be_turned_off(sandbox_faults, run_sync, psa_connection, settings):
    settings.RECORDS_DELETE_GUARD_SHARE = 1
    run_sync()
    sandbox_faults(empty_list_every=1, scope="psa")
    run = SyncRun.objects.get(job=run_sync())
    assert run.status == "succeeded" and run.records_deleted > 0
    assert mirrored(psa_connection) == []


def test_the_review_page_is_for_admins_and_answers_bad_input(
    sandbox_faults, run_sync, psa_connection, client_for, admin, technician
):
    run_sync()
    sandbox_faults(empty_list_every=1, scope="psa")
    run = SyncRun.objects.get(job=run_sync())
    url = reverse("records:sync_review", args=[run.pk])
    assert client_for(technician).get(url).status_code == 403
    assert client_for(technician).post(url, {"decision": "delete"}).status_code == 403
    assert (
        client_for(admin).get(reverse("records:sync_review", args=[run.pk + 999])).status_code
        == 404
    )
    page = client_for(admin).post(url, {"decision": "everything"}, follow=True).content.decode()
    assert "Choose" in page
    run.refresh_from_db()
    assert run.status == "review"
    assert len(mirrored(psa_connection)) == run.records_held


def test_the_scheduled_sweep_covers_the_kinds_synced_in_full(
    run_sync, psa_connection, django_capture_on_commit_callbacks, run_deferred
):
    assert services.sweep_scheduled_start() is None  # nothing synced in full yet
    run_sync()
    with django_capture_on_commit_callbacks(execute=True):
        job = services.sweep_scheduled_start()
    run_deferred()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert list(SyncRun.objects.filter(job=job).values_list("kind", "mode")) == [
        ("tickets", "sweep")
    ]


def test_no_sweep_without_a_ready_connection(db):
    assert services.sweep_scheduled_start() is None
    assert not Job.objects.exists()
