"""One combined run with every sandbox fault switched on (429 with Retry-After, 5xx,
timeouts, dropped connections, latency, cut-short JSON) on a real worker: a full sync,
edits, a bulk edit, a note, a time entry, an action run, a proxy request, then an
incremental sync. Afterwards the mirror is the PSA's data exactly, every change was applied
once, nothing was created twice, and no page answered 500.

One scenario rather than one test per operation: the faults are shared by whatever runs at
the time, which is what the portal meets in production, and it keeps the suite short."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from psaportal.actions import services as action_services
from psaportal.actions.models import ActionRun, ProxyRequest
from psaportal.jobs.models import Job
from psaportal.jobs.services import UNFINISHED
from psaportal.records.changes import services as change_services
from psaportal.records.models import Member, PendingChange, Priority, Ticket
from tests.faults.conftest import wait_until
from tests.faults.pristine import mirror_differences
from tests.records.test_edit import edit_url, opened_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
HTMX = {"HX-Request": "true"}
#: Every fault, often enough that each one hits within the first few dozen calls.
FAULTS = {
    "latency_ms": 20,
    "error_every": 7,
    "rate_limit_every": 11,
    "retry_after": 1,
    "drop_every": 13,
    "malformed_json_every": 12,
    "timeout_every": 19,
    "timeout_seconds": 1.5,  # longer than the worker's MEMBRANE_TIMEOUT_SECONDS
}
EVERY_FAULT = {"error", "rate_limit", "drop", "malformed_json", "timeout"}


def checked(response):
    """A page's answer: never a 500, whatever Membrane did meanwhile."""
    assert response.status_code < 500, response.content[:500]
    return response


def sync(client, mode: str) -> Job:
    checked(client.post(reverse("records:sync_start"), {"kind": "all", "mode": mode}))
    job = Job.objects.filter(kind="records.sync").latest("created_at")
    wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, what="the sync")
    job.refresh_from_db()
    return job


def all_jobs_finished() -> bool:
    return not Job.objects.filter(status__in=UNFINISHED).exists()


def settle() -> None:
    """Wait for every job, then send again the changes whose tries ran out (a bulk edit's
    part meets many faults), as the beat sweep does every few minutes; until none waits."""
    for _ in range(10):
        wait_until(all_jobs_finished, what="the jobs")
        if not change_services.pending_change_resend_stalled(older_than=timedelta(0)):
            return
    pytest.fail("changes were still waiting after ten sweeps")


def psa_get(membrane_client, connection, path, **query) -> list[dict]:
    return membrane_client.proxy(connection.membrane_id, "GET", path, query=query).json()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_under_every_fault_the_work_completes_once_and_the_mirror_matches_the_psa(
    psa_connection, admin, technician, membrane_client, sandbox, start_worker
):
    admin_client, technician_client = logged_in(admin), logged_in(technician)
    action = action_services.action_upsert(
        item=next(
            item
            for item in membrane_client.search_actions(
                connection_id=psa_connection.membrane_id, intent="list-tickets", limit=100
            )
            if item["key"] == "list-tickets"
        )
    )
    start_worker()
    sandbox.reset(connections=False, faults=False)  # count from zero
    sandbox.set_faults(**FAULTS)

    full = sync(admin_client, "full")
    assert full.status == Job.Status.SUCCEEDED, full.error

    tickets = list(Ticket.objects.order_by("psa_id").values("psa_id", "priority_id"))
    edited = [{"id": row["psa_id"]} for row in tickets[:3]]
    for number, ticket in enumerate(edited):
        form = opened_form(technician_client, ticket)
        checked(technician_client.post(edit_url(ticket), form | {"summary": f"Faulty {number}"}))
    bulk_ids = [row["psa_id"] for row in tickets[10:40]]
    priority = Priority.objects.order_by("-psa_id").first()
    checked(
        technician_client.post(
            reverse("records:bulk_edit"),
            {"scope": "selected", "ids": bulk_ids, "priority": priority.psa_id, "query": ""},
            headers=HTMX,
        )
    )
    noted = tickets[50]["psa_id"]
    note_form = checked(technician_client.get(reverse("records:note_add", args=[noted])))
    added = technician_client.post(
        reverse("records:note_add", args=[noted]),
        {
            "idempotency_key": note_form.context["form"]["idempotency_key"].value(),
            "text": "Noted under faults.",
            "detail_description_flag": "on",
        },
    )
    assert added.status_code == 302
    time_form = checked(technician_client.get(reverse("records:time_log", args=[noted])))
    member = Member.objects.filter(inactive_flag=False).order_by("psa_id").first()
    logged = checked(
        technician_client.post(
            reverse("records:time_log", args=[noted]),
            {
                "idempotency_key": time_form.context["form"]["idempotency_key"].value(),
                "billable_option": "Billable",
                "member": str(member.psa_id),
                "day": "2026-12-03",
                "start": "09:00",
                "end": "10:30",
                "notes": "Logged under faults.",
            },
        )
    )
    assert logged.status_code == 302
    checked(
        admin_client.post(
            reverse("actions:run", args=[action.pk]),
            {"mode": "form", "step": "run", "input.pageSize": "5", "input.page": "1"},
            headers=HTMX,
        )
    )
    checked(
        admin_client.post(
            reverse("api_console:send"),
            {"method": "GET", "path": "/service/tickets", "pageSize": "3"},
            headers=HTMX,
        )
    )
    # The pages staff read meanwhile come from the mirror and the job rows.
    for url in (
        reverse("records:list", args=["tickets"]),
        reverse("records:detail", args=["tickets", noted]),
        reverse("records:changes"),
        reverse("records:sync"),
        reverse("jobs:list"),
    ):
        checked(admin_client.get(url))
    settle()
    incremental = sync(admin_client, "incremental")

    stats = sandbox.stats()
    sandbox.clear_faults()
    assert EVERY_FAULT <= set(stats["faults_injected"]), stats["faults_injected"]
    # One write per change reached the PSA (none for a ticket that already had the bulk
    # edit's priority): none was lost, none was sent twice.
    unchanged = sum(row["priority_id"] == priority.psa_id for row in tickets[10:40])
    assert stats["psa_writes"] == 3 + 30 + 2 - unchanged
    assert incremental.status == Job.Status.SUCCEEDED, incremental.error

    outcomes = [
        (change.kind, change.psa_id, change.status, change.error)
        for change in PendingChange.objects.order_by("pk")
    ]
    assert len(outcomes) == 3 + 30 + 2
    assert [o for o in outcomes if o[2:] != (PendingChange.Status.APPLIED, "")] == []
    # A console action run may write, so one whose answer was lost or cut short is not run
    # again: it fails saying it may have been carried out.
    run = ActionRun.objects.select_related("job").get()
    assert run.status == "succeeded" or "may have been carried out" in run.job.error, run.job.error
    assert ProxyRequest.objects.get().status == "succeeded"
    connection = psa_connection
    for number, ticket in enumerate(edited):
        path = f"/service/tickets/{ticket['id']}"
        assert membrane_client.proxy(connection.membrane_id, "GET", path).json()["summary"] == (
            f"Faulty {number}"
        )
    # Created once each, though answers were lost and tries repeated.
    notes = psa_get(membrane_client, connection, f"/service/tickets/{noted}/notes", pageSize=1000)
    assert [note["text"] for note in notes].count("Noted under faults.") == 1
    entries = psa_get(
        membrane_client, connection, "/time/entries", conditions=f"chargeToId = {noted}"
    )
    assert [entry.get("notes") for entry in entries].count("Logged under faults.") == 1
    bulk_priorities = Ticket.objects.filter(psa_id__in=bulk_ids).values_list("priority_id")
    assert set(bulk_priorities) == {(priority.psa_id,)}
    assert mirror_differences(connection=connection, client=membrane_client) == []
