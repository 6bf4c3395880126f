"""A ticket's notes against the sandbox's PSA over HTTP: read from ``allNotes`` into the
mirror and shown on the ticket page, and "Add note" through the outbox (POSTed to the
ticket's notes through Membrane's proxy)."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.records import registry
from psaportal.records.changes import services
from psaportal.records.models import PendingChange, TicketNote
from psaportal.records.notes import services as notes_services
from tests.records.mirror_rows import mirror
from tests.records.test_edit import wait_until

pytestmark = pytest.mark.django_db
Status = PendingChange.Status


def psa_get(membrane_client, ready_connection, path, **query):
    return membrane_client.proxy(ready_connection["id"], "GET", path, query=query).json()


@pytest.fixture
def ticket(psa_connection, membrane_client, ready_connection) -> dict:
    """A seeded ticket with discussion, internal analysis and time entry notes, in the
    mirror."""
    for candidate in psa_get(membrane_client, ready_connection, "/service/tickets",
                             pageSize=60, orderBy="id asc"):  # fmt: skip
        notes = psa_get(
            membrane_client, ready_connection,
            f"/service/tickets/{candidate['id']}/allNotes", pageSize=1000,
        )  # fmt: skip
        if (
            {note["noteType"] for note in notes} == {"TicketNote", "TimeEntryNote"}
            and any(note["internalAnalysisFlag"] for note in notes)
            and any(note["detailDescriptionFlag"] for note in notes)
        ):
            mirror(psa_connection, "tickets", [candidate])
            return candidate
    raise AssertionError("no seeded ticket has every kind of note")


def all_notes(membrane_client, ready_connection, ticket) -> list[dict]:
    return psa_get(
        membrane_client, ready_connection, f"/service/tickets/{ticket['id']}/allNotes",
        pageSize=1000,
    )  # fmt: skip


def psa_notes(membrane_client, ready_connection, ticket) -> list[dict]:
    return psa_get(
        membrane_client, ready_connection, f"/service/tickets/{ticket['id']}/notes", pageSize=1000
    )


def refresh(client, ticket, capture):
    with capture(execute=True):
        return client.post(reverse("records:notes_refresh", args=[ticket["id"]]))


def add_url(ticket) -> str:
    return reverse("records:note_add", args=[ticket["id"]])


def form_data(client, ticket, **values) -> dict:
    form = client.get(add_url(ticket)).context["form"]
    return {"idempotency_key": form["idempotency_key"].value(), **values}


def test_notes_are_read_from_the_psa_and_shown_newest_first(
    technician_client, ticket, membrane_client, ready_connection,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    refresh(technician_client, ticket, django_capture_on_commit_callbacks)

    expected = all_notes(membrane_client, ready_connection, ticket)
    mirrored = TicketNote.objects.filter(ticket_psa_id=ticket["id"])
    assert {(n.source, n.psa_id, n.text) for n in mirrored} == {
        ("ticket" if e["noteType"] == "TicketNote" else "time_entry", e["id"], e["text"])
        for e in expected
    }
    swapped = technician_client.get(
        reverse("records:ticket_notes", args=[ticket["id"]]), {"refreshed": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip
    assert 'id="notes-list" hx-swap-oob="true"' in swapped
    assert all(html.escape(e["text"]) in swapped for e in expected)
    page = technician_client.get(reverse("records:detail", args=["tickets", ticket["id"]]))
    shown = page.context["notes"]
    assert [note.date_created for note in shown] == sorted(
        (note.date_created for note in shown), reverse=True
    )
    content = page.content.decode()
    sources = {"TicketNote": "ticket", "TimeEntryNote": "time_entry"}
    for entry in expected:
        assert f'id="note-{sources[entry["noteType"]]}-{entry["id"]}"' in content


@pytest.mark.parametrize(
    ("show", "keeps"),
    [
        ("internal", lambda note: note.internal_analysis_flag),
        ("discussion", lambda note: note.detail_description_flag),
        ("time", lambda note: note.source == "time_entry"),
    ],
)
def test_the_notes_filter_keeps_one_kind(
    technician_client, ticket, show, keeps, django_capture_on_commit_callbacks
):
    refresh(technician_client, ticket, django_capture_on_commit_callbacks)
    everything = list(TicketNote.objects.filter(ticket_psa_id=ticket["id"]))

    response = technician_client.get(
        reverse("records:ticket_notes", args=[ticket["id"]]),
        {"notes": show},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    content = response.content.decode()
    shown = {note.pk for note in everything if f'id="note-{note.source}-{note.psa_id}"' in content}
    assert shown == {note.pk for note in everything if keeps(note)}
    assert shown and len(shown) < len(everything)


def test_the_refresh_drops_notes_the_psa_no_longer_has(
    technician_client, ticket, psa_connection, django_capture_on_commit_callbacks
):
    gone = TicketNote.objects.create(
        connection=psa_connection, ticket_psa_id=ticket["id"], source="ticket", psa_id=999_999,
        text="deleted in the PSA", synced_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    refresh(technician_client, ticket, django_capture_on_commit_callbacks)
    assert not TicketNote.objects.filter(pk=gone.pk).exists()
    assert TicketNote.objects.filter(ticket_psa_id=ticket["id"]).exists()


def test_an_added_note_reaches_the_psa_and_the_list(
    technician_client, technician, ticket, membrane_client, ready_connection,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    before = psa_notes(membrane_client, ready_connection, ticket)
    data = form_data(
        technician_client, ticket, text="Replaced the NIC; link is stable.",
        internal_analysis_flag="on", resolution_flag="on",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(add_url(ticket), data)

    assert response.status_code == 302
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    new = [n for n in psa_notes(membrane_client, ready_connection, ticket) if n not in before]
    assert len(new) == 1
    note = new[0]
    assert (note["id"], note["text"]) == (change.psa_id, "Replaced the NIC; link is stable.")
    assert (note["detailDescriptionFlag"], note["internalAnalysisFlag"], note["resolutionFlag"]) \
        == (False, True, True)  # fmt: skip
    mirrored = TicketNote.objects.get(source="ticket", psa_id=note["id"])
    assert mirrored.ticket_psa_id == ticket["id"] and mirrored.resolution_flag
    page = technician_client.get(reverse("records:detail", args=["tickets", ticket["id"]]))
    assert "Replaced the NIC; link is stable." in page.content.decode()
    audit = AuditEntry.objects.get(action="record.create", target_type="ticket_notes")
    assert audit.user == technician and audit.after["text"] == note["text"]


def test_a_double_submit_adds_one_note(
    technician_client, ticket, membrane_client, ready_connection,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    before = len(psa_notes(membrane_client, ready_connection, ticket))
    data = form_data(technician_client, ticket, text="Called the user back.",
                     detail_description_flag="on")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(add_url(ticket), data)
        technician_client.post(add_url(ticket), data)

    assert PendingChange.objects.count() == 1
    assert len(psa_notes(membrane_client, ready_connection, ticket)) == before + 1


def test_a_retry_after_a_lost_answer_does_not_add_the_note_twice(
    ticket, psa_connection, membrane_client, ready_connection
):
    note = {"ticketId": ticket["id"], "text": "Lost answer", "detailDescriptionFlag": True,
            "internalAnalysisFlag": False, "resolutionFlag": False}  # fmt: skip
    change = services.record_create(
        connection=psa_connection, kind=registry.TICKET_NOTES, action_input=note,
        idempotency_key="lost-answer", user=None, summary="",
    )  # fmt: skip
    # The first try reached the PSA but its answer never came back.
    membrane_client.proxy(
        ready_connection["id"], "POST", f"/service/tickets/{ticket['id']}/notes", json=note
    )
    PendingChange.objects.filter(pk=change.pk).update(attempts=1)

    services.pending_change_apply(change_id=change.pk)

    matching = [
        n
        for n in psa_notes(membrane_client, ready_connection, ticket)
        if n["text"] == "Lost answer"
    ]
    change.refresh_from_db()
    assert len(matching) == 1
    assert (change.status, change.psa_id) == (Status.APPLIED, matching[0]["id"])


def test_a_note_without_a_place_is_refused_on_the_form(technician_client, ticket):
    data = form_data(technician_client, ticket, text="Nowhere to show")
    response = technician_client.post(add_url(ticket), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert "Choose where the note shows" in " ".join(form.non_field_errors())
    assert "Nowhere to show" in response.content.decode()
    assert not PendingChange.objects.exists()


def test_the_psas_refusal_is_kept_and_shown_on_the_fields(
    technician_client, technician, ticket, psa_connection, django_capture_on_commit_callbacks
):
    # A note the form would not send (no place on the ticket), as if written elsewhere.
    note = {"ticketId": ticket["id"], "text": "Keep these words", "detailDescriptionFlag": False,
            "internalAnalysisFlag": False, "resolutionFlag": False}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        change = services.record_create(
            connection=psa_connection, kind=registry.TICKET_NOTES, action_input=note,
            idempotency_key="no-place", user=technician, summary="",
        )  # fmt: skip
    change.refresh_from_db()
    assert change.status == Status.FAILED
    assert "detailDescriptionFlag" in change.field_errors and change.changes == note

    page = technician_client.get(reverse("records:detail", args=["tickets", ticket["id"]]))
    assert f"{add_url(ticket)}?change={change.pk}" in page.content.decode()
    mine = technician_client.get(reverse("records:changes")).content.decode()
    assert reverse("records:detail", args=["tickets", ticket["id"]]) + "#notes" in mine
    response = technician_client.get(add_url(ticket), {"change": change.pk})
    form = response.context["form"]
    assert form["text"].value() == "Keep these words"
    assert change.field_errors["detailDescriptionFlag"] in form.errors["detail_description_flag"]


def test_only_staff_who_may_edit_add_notes(
    client, django_user_model, ticket, technician_client, django_capture_on_commit_callbacks
):
    reader = django_user_model.objects.create_user(username="reader", password="x-Long-pass-1")
    reader.user_permissions.add(Permission.objects.get(codename="view_records"))
    client.force_login(reader)

    page = client.get(reverse("records:detail", args=["tickets", ticket["id"]]))
    assert page.status_code == 200
    assert 'action="' + add_url(ticket) not in page.content.decode()
    response = client.post(
        add_url(ticket), {"idempotency_key": "k", "text": "x", "detail_description_flag": "on"}
    )
    assert response.status_code == 403
    assert not PendingChange.objects.exists()


def test_a_ticket_not_in_the_mirror_has_no_note_form(technician_client, psa_connection):
    assert technician_client.get(reverse("records:note_add", args=[987654])).status_code == 404


@pytest.mark.worker
def test_on_a_real_worker_a_note_rides_out_faults_and_is_listed(
    technician_client, ticket, membrane_client, ready_connection, sandbox, celery_worker
):
    """The first POST is answered 503 (the PSA is not reached), the next one goes through;
    the refresh then reads the notes on the worker too."""
    data = form_data(technician_client, ticket, text="Sent through the storm",
                     resolution_flag="on")  # fmt: skip
    sandbox.set_faults(error_every=1, error_status=503, scope="psa")
    technician_client.post(add_url(ticket), data)
    wait_until(lambda: sandbox.stats()["faults_injected"].get("error"))
    sandbox.clear_faults()

    wait_until(lambda: PendingChange.objects.get().status == Status.APPLIED)
    change = PendingChange.objects.get()
    assert change.attempts >= 2
    texts = [n["text"] for n in psa_notes(membrane_client, ready_connection, ticket)]
    assert texts.count("Sent through the storm") == 1
    technician_client.post(reverse("records:notes_refresh", args=[ticket["id"]]))
    wait_until(
        lambda: TicketNote.objects.filter(ticket_psa_id=ticket["id"], source="time_entry").exists()
    )
    assert TicketNote.objects.filter(psa_id=change.psa_id, text="Sent through the storm").exists()


@pytest.mark.parametrize("odd_id", ["7", 1.5, True, None, 2**63])
def test_a_note_whose_id_is_no_whole_number_a_bigint_holds_is_left_out(odd_id):
    entry = {"noteType": "TicketNote", "id": 7, "text": "Rebooted the printer"}

    assert notes_services._note_values(entry, ticket_id=1)["psa_id"] == 7
    assert notes_services._note_values({**entry, "id": odd_id}, ticket_id=1) is None
