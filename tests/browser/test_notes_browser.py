"""A ticket's notes in Chromium, against the sandbox's PSA: the page reads them from the PSA
as it opens, and a note added on it appears in the list (tasks run in-process)."""

import pytest
from playwright.sync_api import expect

from tests.records.mirror_rows import mirror

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ticket(psa_connection, membrane_client, ready_connection) -> tuple[dict, list[dict]]:
    """A seeded ticket that has notes in the PSA (none in the mirror yet), and its notes."""
    for candidate in membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 30}
    ).json():
        notes = membrane_client.proxy(
            ready_connection["id"], "GET", f"/service/tickets/{candidate['id']}/allNotes"
        ).json()
        if notes:
            mirror(psa_connection, "tickets", [candidate])
            return candidate, notes
    raise AssertionError("no seeded ticket has notes")


def test_technician_adds_a_note_and_sees_it_in_the_list(
    login_page, technician, live_server, ticket, membrane_client, ready_connection
):
    record, notes = ticket
    page = login_page(technician)
    page.goto(f"{live_server.url}/records/tickets/{record['id']}/")
    notes_list = page.locator("#notes-list")
    expect(notes_list).to_contain_text(notes[0]["text"])  # read from the PSA as the page opened

    form = page.locator("details.note-add")
    form.evaluate("details => { details.open = true; }")
    form.get_by_label("Note").fill("Firmware updated; watching the link overnight.")
    form.get_by_label("Internal analysis").check()
    form.locator("button[type=submit]").click()

    expect(page.get_by_text("Your note is saved and on its way to the PSA.")).to_be_visible()
    expect(notes_list).to_contain_text("Firmware updated; watching the link overnight.")
    page.locator(".notes-filter").get_by_role("link", name="Internal analysis").click()
    expect(page.locator("#notes-list .notes-filter a[aria-current=true]")).to_have_text(
        "Internal analysis"
    )
    expect(notes_list).to_contain_text("Firmware updated; watching the link overnight.")
    in_psa = membrane_client.proxy(
        ready_connection["id"], "GET", f"/service/tickets/{record['id']}/notes",
        query={"conditions": 'text = "Firmware updated; watching the link overnight."'},
    ).json()  # fmt: skip
    assert len(in_psa) == 1 and in_psa[0]["internalAnalysisFlag"] is True
