"""Ticket notes in the PSA simulator: /service/tickets/{id}/notes (ServiceNote, full CRUD
and count) and the read-only /allNotes that merges in the notes of the ticket's time."""

import json

import pytest

from psaportal.sandbox.psa import PsaSimulator, SeedScale

SMALL = SeedScale(
    members=4,
    companies=6,
    contacts=12,
    tickets=30,
    projects=3,
    opportunities=3,
    time_entries=60,
    products=5,
    expense_entries=5,
    configurations=5,
)


@pytest.fixture(scope="module")
def psa():
    simulator = PsaSimulator(SMALL)
    yield simulator
    simulator.close()


def call(psa, method, path, body=None, query=None):
    answer = psa.handle(
        method, path, query or [], json.dumps(body).encode() if body is not None else None
    )
    return answer.status, (json.loads(answer.body) if answer.body else None), answer.headers


def a_ticket_with(psa, wanted) -> int:
    """The first seeded ticket whose allNotes satisfy ``wanted``."""
    for ticket_id in range(1, SMALL.tickets + 1):
        _, notes, _ = call(psa, "GET", f"/service/tickets/{ticket_id}/allNotes",
                           query=[("pageSize", "1000")])  # fmt: skip
        if wanted(notes):
            return ticket_id
    raise AssertionError("no seeded ticket fits")


def test_seeded_notes_are_the_same_for_the_same_seed(psa):
    again = PsaSimulator(SMALL)
    try:
        for ticket_id in (1, 7, 19):
            path = f"/service/tickets/{ticket_id}/notes"
            assert call(psa, "GET", path)[1] == call(again, "GET", path)[1]
    finally:
        again.close()
    assert psa.count("ticketNote") > 0


def test_a_note_is_created_with_its_flags_author_and_times(psa):
    status, note, _ = call(
        psa, "POST", "/service/tickets/5/notes",
        {"text": "Rebooted the switch.", "internalAnalysisFlag": True, "member": {"id": 2}},
    )  # fmt: skip
    assert status == 201
    assert note["ticketId"] == 5
    assert (
        note["detailDescriptionFlag"],
        note["internalAnalysisFlag"],
        note["resolutionFlag"],
    ) == (
        False,
        True,
        False,
    )
    assert note["member"]["id"] == 2 and note["member"]["identifier"]
    assert note["dateCreated"] == note["_info"]["lastUpdated"]
    assert note["createdBy"]
    status, fetched, _ = call(psa, "GET", f"/service/tickets/5/notes/{note['id']}")
    assert (status, fetched) == (200, note)


def test_the_path_names_the_ticket_not_the_body(psa):
    _, note, _ = call(psa, "POST", "/service/tickets/6/notes",
                      {"text": "x", "ticketId": 9, "resolutionFlag": True})  # fmt: skip
    assert note["ticketId"] == 6
    status, _, _ = call(psa, "GET", f"/service/tickets/9/notes/{note['id']}")
    assert status == 404


def test_missing_text_and_no_flag_are_field_errors(psa):
    status, body, _ = call(psa, "POST", "/service/tickets/5/notes", {"text": "   "})
    assert status == 400
    assert body["code"] == "InvalidObject"
    codes = {error["field"]: error["code"] for error in body["errors"]}
    assert codes == {"text": "MissingRequiredField", "detailDescriptionFlag": "InvalidField"}
    assert all(error["resource"] for error in body["errors"])


def test_a_bad_flag_value_and_an_unknown_field_are_invalid(psa):
    status, body, _ = call(psa, "POST", "/service/tickets/5/notes",
                           {"text": "x", "resolutionFlag": "yes", "colour": "red"})  # fmt: skip
    assert status == 400
    fields = {error["field"]: error["code"] for error in body["errors"]}
    assert fields["resolutionFlag"] == "InvalidField"
    assert fields["colour"] == "InvalidField"


def test_an_unknown_ticket_is_404_on_every_notes_path(psa):
    for method, path, body in (
        ("GET", "/service/tickets/99999/notes", None),
        ("GET", "/service/tickets/99999/notes/count", None),
        ("GET", "/service/tickets/99999/allNotes", None),
        ("POST", "/service/tickets/99999/notes", {"text": "x", "detailDescriptionFlag": True}),
    ):
        status, answer, _ = call(psa, method, path, body)
        assert status == 404, (method, path)
        assert answer["code"] == "NotFound"


def test_patch_bumps_last_updated_and_keeps_who_and_when(psa):
    _, note, _ = call(psa, "POST", "/service/tickets/8/notes",
                      {"text": "First words", "detailDescriptionFlag": True})  # fmt: skip
    psa._last_now += 5  # the next change is seconds later
    status, patched, _ = call(
        psa, "PATCH", f"/service/tickets/8/notes/{note['id']}",
        [{"op": "replace", "path": "text", "value": "Better words"},
         {"op": "replace", "path": "resolutionFlag", "value": True}],
    )  # fmt: skip
    assert status == 200
    assert patched["text"] == "Better words" and patched["resolutionFlag"] is True
    assert patched["_info"]["lastUpdated"] > note["_info"]["lastUpdated"]
    assert (patched["dateCreated"], patched["createdBy"]) == (
        note["dateCreated"],
        note["createdBy"],
    )
    status, body, _ = call(psa, "PATCH", f"/service/tickets/8/notes/{note['id']}",
                           [{"op": "replace", "path": "text", "value": ""}])  # fmt: skip
    assert status == 400 and body["errors"][0]["code"] == "MissingRequiredField"


def test_count_and_delete(psa):
    _, before, _ = call(psa, "GET", "/service/tickets/11/notes/count")
    _, note, _ = call(psa, "POST", "/service/tickets/11/notes",
                      {"text": "temp", "internalAnalysisFlag": True})  # fmt: skip
    assert call(psa, "GET", "/service/tickets/11/notes/count")[1] == {"count": before["count"] + 1}
    assert call(psa, "DELETE", f"/service/tickets/12/notes/{note['id']}")[0] == 404
    assert call(psa, "DELETE", f"/service/tickets/11/notes/{note['id']}")[0] == 204
    assert call(psa, "GET", "/service/tickets/11/notes/count")[1] == before
    assert call(psa, "GET", f"/service/tickets/11/notes/{note['id']}")[0] == 404


def test_all_notes_merges_ticket_notes_and_time_entry_notes(psa):
    ticket_id = a_ticket_with(
        psa, lambda notes: {note["noteType"] for note in notes} == {"TicketNote", "TimeEntryNote"}
    )
    _, notes, _ = call(psa, "GET", f"/service/tickets/{ticket_id}/allNotes",
                       query=[("pageSize", "1000")])  # fmt: skip
    _, own, _ = call(
        psa, "GET", f"/service/tickets/{ticket_id}/notes", query=[("pageSize", "1000")]
    )
    _, entries, _ = call(psa, "GET", "/time/entries", query=[
        ("conditions", f'chargeToId={ticket_id} and chargeToType="ServiceTicket"'),
        ("pageSize", "1000"),
    ])  # fmt: skip
    ticket_notes = {note["id"]: note for note in notes if note["noteType"] == "TicketNote"}
    entry_notes = {note["id"]: note for note in notes if note["noteType"] == "TimeEntryNote"}
    assert set(ticket_notes) == {note["id"] for note in own}
    assert set(entry_notes) == {entry["id"] for entry in entries if entry.get("notes")}
    for entry in entries:
        if entry.get("notes"):
            assert entry_notes[entry["id"]]["text"] == entry["notes"]
            assert entry_notes[entry["id"]]["timeStart"] == entry["timeStart"]
    assert all(note["ticket"]["id"] == ticket_id for note in notes)
    starts = [note["timeStart"] for note in notes]
    assert starts == sorted(starts)


def test_time_entry_flags_place_its_note(psa):
    _, entry, _ = call(psa, "POST", "/time/entries", {
        "chargeToId": 14, "member": {"id": 1}, "timeStart": "2026-01-05T09:00:00Z",
        "timeEnd": "2026-01-05T10:00:00Z", "notes": "Swapped the PSU.",
        "addToResolutionFlag": True,
    })  # fmt: skip
    _, notes, _ = call(psa, "GET", "/service/tickets/14/allNotes", query=[("pageSize", "1000")])
    mine = next(n for n in notes if n["noteType"] == "TimeEntryNote" and n["id"] == entry["id"])
    assert (mine["resolutionFlag"], mine["detailDescriptionFlag"], mine["text"]) == (
        True,
        False,
        "Swapped the PSU.",
    )


def test_all_notes_pages_and_is_read_only(psa):
    ticket_id = a_ticket_with(psa, lambda notes: len(notes) >= 3)
    _, everything, _ = call(psa, "GET", f"/service/tickets/{ticket_id}/allNotes",
                            query=[("pageSize", "1000")])  # fmt: skip
    _, first, headers = call(psa, "GET", f"/service/tickets/{ticket_id}/allNotes",
                             query=[("pageSize", "2")])  # fmt: skip
    assert first == everything[:2]
    assert 'rel="next"' in headers["Link"]
    assert call(psa, "POST", f"/service/tickets/{ticket_id}/allNotes", {"text": "x"})[0] == 405
    status, body, _ = call(psa, "GET", f"/service/tickets/{ticket_id}/allNotes",
                           query=[("conditions", "id > 1")])  # fmt: skip
    assert status == 400 and "conditions" in body["message"]
