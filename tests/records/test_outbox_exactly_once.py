"""The outbox applies each change once: a bulk edit split in parts (a task each) still ends
as one job with the whole tally, and a message of a job that no longer sends a change does
nothing. In-process, against the sandbox over HTTP."""

from datetime import timedelta

import pytest
from django.urls import reverse

from psaportal.jobs.models import Job
from psaportal.records.changes import services, tasks
from psaportal.records.models import PendingChange, Priority
from tests.records import test_bulk_edit, test_edit
from tests.records.test_edit import edit_url, opened_form

pytestmark = pytest.mark.django_db
Status = PendingChange.Status
# The tests' mirrored tickets (the first 30 of the PSA) and the PSA's priorities of some.
tickets = test_bulk_edit.tickets
psa_priorities = test_bulk_edit.psa_priorities
ticket = test_edit.ticket
psa_ticket = test_edit.psa_ticket


def test_a_bulk_edit_in_parts_is_one_job_with_the_whole_tally(
    technician_client,
    tickets,
    psa_priorities,
    membrane_client,
    ready_connection,
    sandbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(services, "BULK_CHUNK", 4)
    wanted, colleagues = Priority.objects.order_by("-psa_id")[:2]
    chosen = [row["id"] for row in tickets[:10]]  # parts of 4, 4 and 2 tickets
    membrane_client.proxy(  # a colleague's change in the last part
        ready_connection["id"],
        "PATCH",
        f"/service/tickets/{chosen[-1]}",
        json=[{"op": "replace", "path": "priority", "value": {"id": colleagues.psa_id}}],
    )
    sandbox.reset(connections=False, faults=False)

    with django_capture_on_commit_callbacks(execute=True) as sent:
        technician_client.post(
            reverse("records:bulk_edit"),
            {"scope": "selected", "ids": chosen, "priority": wanted.psa_id, "query": ""},
        )

    assert len(sent) == 3  # one task per part
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.summary == "9 applied, 1 in conflict."
    assert (job.progress_done, job.progress_total) == (10, 10)
    already = sum(row["priority"]["id"] == wanted.psa_id for row in tickets[:9])
    assert sandbox.stats()["psa_writes"] == 9 - already  # one write per ticket to change
    assert sandbox.stats()["psa_requests"] == 3 + 9 - already  # a read per part, not per ticket
    assert psa_priorities(chosen) == {psa_id: wanted.psa_id for psa_id in chosen[:-1]} | {
        chosen[-1]: colleagues.psa_id
    }


def test_a_job_that_no_longer_sends_the_change_does_nothing(
    technician_client, ticket, psa_ticket, sandbox, django_capture_on_commit_callbacks
):
    data = opened_form(technician_client, ticket)
    sandbox.set_faults(error_every=1, error_status=503, scope="psa")
    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(edit_url(ticket), data | {"summary": "Sent by the sweep"})
    sandbox.clear_faults()
    change = PendingChange.objects.get()
    first_job = change.job  # its next try still to come (a lost worker's message, as it were)
    assert change.status == Status.APPLYING

    with django_capture_on_commit_callbacks() as resent:
        assert services.pending_change_resend_stalled(older_than=timedelta(0)) == 1
    change.refresh_from_db()
    assert change.status == Status.PENDING and change.job_id != first_job.pk
    sandbox.reset(connections=False, faults=False)

    tasks.apply_pending_change.apply((first_job.pk, change.pk))  # the earlier job's message

    first_job.refresh_from_db()
    assert first_job.summary.startswith("Nothing to do")
    assert sandbox.stats()["psa_requests"] == 0
    assert PendingChange.objects.get().status == Status.PENDING
    for send in resent:  # the sweep's job sends it
        send()
    change.refresh_from_db()
    assert change.status == Status.APPLIED
    assert sandbox.stats()["psa_writes"] == 1
    assert psa_ticket()["summary"] == "Sent by the sweep"
