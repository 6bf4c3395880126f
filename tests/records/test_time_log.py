"""Logging time on a ticket through the outbox: a time entry charged to the ticket, POSTed
through Membrane's proxy (the connector has no create action for time entries)."""

import pytest
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.changes import services
from psaportal.records.models import Member, PendingChange, TimeEntry
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status
TIME_ENTRIES = registry.get_kind("time_entries")


@pytest.fixture
def ticket(psa_connection, live_ticket, membrane_client, ready_connection):
    members = membrane_client.proxy(
        ready_connection["id"], "GET", "/system/members", query={"pageSize": 100}
    ).json()
    mirror(psa_connection, "members", members)
    mirror(psa_connection, "tickets", [live_ticket])
    return live_ticket


@pytest.fixture
def member(ticket):
    return Member.objects.filter(inactive_flag=False).order_by("psa_id").first()


def time_url(ticket) -> str:
    return reverse("records:time_log", args=[ticket["id"]])


def entries_on(membrane_client, ready_connection, ticket) -> list[dict]:
    return membrane_client.proxy(
        ready_connection["id"],
        "GET",
        "/time/entries",
        query={"conditions": f"chargeToId = {ticket['id']}", "pageSize": 1000},
    ).json()


def form_data(client, ticket, **values) -> dict:
    form = client.get(time_url(ticket)).context["form"]
    return {"idempotency_key": form["idempotency_key"].value(), "billable_option": "Billable"} | {
        key: str(value) for key, value in values.items()
    }


def test_time_logged_on_a_ticket_reaches_the_psa_and_the_mirror(
    technician_client,
    ticket,
    member,
    membrane_client,
    ready_connection,
    django_capture_on_commit_callbacks,
):
    before = entries_on(membrane_client, ready_connection, ticket)
    data = form_data(
        technician_client,
        ticket,
        member=member.psa_id,
        day="2026-12-03",
        start="09:00",
        end="10:30",
        notes="Swapped the drive; RAID rebuilding.",
        add_to_internal="on",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(time_url(ticket), data)

    assert response.status_code == 302
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    new = [
        row for row in entries_on(membrane_client, ready_connection, ticket) if row not in before
    ]
    assert len(new) == 1
    entry = new[0]
    assert (entry["id"], entry["chargeToType"], entry["member"]["id"]) == (
        change.psa_id,
        "ServiceTicket",
        member.psa_id,
    )
    assert (entry["timeStart"], entry["timeEnd"], entry["actualHours"]) == (
        "2026-12-03T09:00:00Z",
        "2026-12-03T10:30:00Z",
        1.5,
    )
    assert entry["addToInternalAnalysisFlag"] is True
    assert TimeEntry.objects.filter(psa_id=entry["id"]).exists()


def test_hours_can_stand_for_the_end_time(
    technician_client, ticket, member, django_capture_on_commit_callbacks
):
    data = form_data(
        technician_client, ticket, member=member.psa_id, day="2026-12-03", start="13:00",
        hours="2.25", notes="Printer driver roll-out.",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(time_url(ticket), data)
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    assert change.changes["actualHours"] == 2.25 and "timeEnd" not in change.changes


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"start": "10:00"}, "end", "Give an end time or the hours worked."),
        ({"start": "10:00", "end": "09:00"}, "end", "The end must be after the start."),
        ({"start": "10:00", "hours": "0"}, "hours", ""),
        ({"start": "25:00", "hours": "1"}, "start", ""),
    ],
)
def test_bad_times_are_refused_on_the_form(
    technician_client, ticket, member, values, field, message
):
    data = form_data(
        technician_client, ticket, member=member.psa_id, day="2026-12-03", notes="x", **values
    )
    response = technician_client.post(time_url(ticket), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not PendingChange.objects.exists()


def test_the_psas_refusal_is_kept_with_the_entry(
    ticket, member, psa_connection, django_capture_on_commit_callbacks
):
    entry = {
        "chargeToId": ticket["id"],
        "chargeToType": "ServiceTicket",
        "member": {"id": member.psa_id},
        "timeStart": "2026-12-03T10:00:00Z",
        "timeEnd": "2026-12-03T09:00:00Z",  # the PSA refuses an end before the start
        "notes": "Backwards",
    }
    with django_capture_on_commit_callbacks(execute=True):
        change = services.record_create(
            connection=psa_connection, kind=TIME_ENTRIES, action_input=entry,
            idempotency_key="backwards", user=None, summary="",
        )  # fmt: skip
    change.refresh_from_db()
    assert change.status == Status.FAILED
    assert "timeEnd" in change.field_errors and change.changes == entry


def test_a_retry_after_a_lost_answer_does_not_log_the_time_twice(
    ticket, member, psa_connection, membrane_client, ready_connection
):
    entry = {
        "chargeToId": ticket["id"],
        "chargeToType": "ServiceTicket",
        "member": {"id": member.psa_id},
        "timeStart": "2026-12-03T07:00:00Z",
        "actualHours": 1.0,
        "notes": "Early call",
    }
    change = services.record_create(
        connection=psa_connection, kind=TIME_ENTRIES, action_input=entry,
        idempotency_key="early-call", user=None, summary="",
    )  # fmt: skip
    membrane_client.proxy(ready_connection["id"], "POST", "/time/entries", json=entry)
    PendingChange.objects.filter(pk=change.pk).update(attempts=1)

    services.pending_change_apply(change_id=change.pk)

    matching = [
        row
        for row in entries_on(membrane_client, ready_connection, ticket)
        if row.get("notes") == "Early call"
    ]
    change.refresh_from_db()
    assert len(matching) == 1
    assert (change.status, change.psa_id) == (Status.APPLIED, matching[0]["id"])
