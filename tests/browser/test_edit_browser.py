"""Editing tickets in Chromium, against the sandbox's PSA: one ticket from its page, and a
bulk change from the list (tasks run in-process, as on the embedded default)."""

import re

import pytest
from playwright.sync_api import expect

from psaportal.records.models import BoardStatus, PendingChange, Priority
from tests.records.mirror_rows import mirror

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tickets(psa_connection, membrane_client, ready_connection) -> list[dict]:
    def psa(path, **query):
        return membrane_client.proxy(ready_connection["id"], "GET", path, query=query).json()

    mirror(psa_connection, "priorities", psa("/service/priorities", pageSize=100))
    rows = psa("/service/tickets", pageSize=5, orderBy="id asc")
    mirror(psa_connection, "tickets", rows)
    return rows


def psa_ticket(membrane_client, ready_connection, ticket_id) -> dict:
    return membrane_client.proxy(
        ready_connection["id"], "GET", f"/service/tickets/{ticket_id}"
    ).json()


def open_row_editor(page, live_server, ticket):
    """Open ``ticket``'s inline editor on the ticket list and wait until htmx has wired it;
    its row is returned. Chromium focuses the autofocus choice as soon as the row is
    inserted; htmx attaches the row's Escape and Save handlers when it drops the row's
    htmx-added class, a moment later."""
    ticket_id = ticket["id"]
    page.goto(f"{live_server.url}/records/tickets/")
    row = page.locator(f"#tickets-row-{ticket_id}")
    row.get_by_role("link", name=f"Edit #{ticket_id} in the list").click()
    expect(page.get_by_label(f"Status of #{ticket_id}")).to_be_focused()
    expect(row).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    return row


def test_technician_edits_a_ticket_and_sees_it_saved(
    login_page, technician, live_server, tickets, membrane_client, ready_connection
):
    ticket = tickets[0]
    page = login_page(technician)
    page.goto(f"{live_server.url}/records/tickets/{ticket['id']}/")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Summary").fill("Backup job fails every night")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Your change is saved and on its way to the PSA.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Backup job fails every night")
    summary = psa_ticket(membrane_client, ready_connection, ticket["id"])["summary"]
    assert summary == "Backup job fails every night"


def test_technician_changes_the_priority_of_ticked_tickets(
    login_page, technician, live_server, tickets, membrane_client, ready_connection
):
    priority = Priority.objects.order_by("-psa_id").first()
    page = login_page(technician)
    page.goto(f"{live_server.url}/records/tickets/")
    for ticket in tickets[:2]:
        page.get_by_label(f"Select #{ticket['id']}").check()
    page.get_by_role("button", name="Change several tickets").click()
    page.get_by_label("Set priority").select_option(str(priority.psa_id))
    page.get_by_role("button", name="Apply to the tickets").click()

    expect(page.locator("#bulk-result")).to_contain_text("2 applied.")
    for ticket in tickets[:2]:
        now = psa_ticket(membrane_client, ready_connection, ticket["id"])
        assert now["priority"]["id"] == priority.psa_id


@pytest.fixture
def board_statuses(psa_connection, membrane_client, ready_connection, tickets):
    """The statuses of the tickets' boards, mirrored (the row's status choices)."""
    for board_id in {ticket["board"]["id"] for ticket in tickets}:
        statuses = membrane_client.proxy(
            ready_connection["id"], "GET", f"/service/boards/{board_id}/statuses"
        ).json()
        mirror(psa_connection, "statuses", statuses)


def test_technician_changes_a_status_in_the_list_row_and_sees_it_applied(
    login_page, technician, live_server, tickets, board_statuses, membrane_client,
    ready_connection,
):  # fmt: skip
    ticket = tickets[0]
    status = (
        BoardStatus.objects.filter(board_id=ticket["board"]["id"])
        .exclude(psa_id=ticket["status"]["id"])
        .order_by("-psa_id")
        .first()
    )
    page = login_page(technician)
    row = open_row_editor(page, live_server, ticket)
    page.get_by_label(f"Status of #{ticket['id']}").select_option(str(status.psa_id))
    row.get_by_role("button", name="Save").click()

    expect(row.locator("select")).to_have_count(0)  # the row is swapped back
    # Pending first ("Resolved pending"), then the confirmed value once applied.
    expect(row.get_by_role("cell", name=status.name, exact=True)).to_be_visible()
    expect(row.locator(".badge")).to_have_count(0)
    now = psa_ticket(membrane_client, ready_connection, ticket["id"])
    assert now["status"]["id"] == status.psa_id
    assert PendingChange.objects.get().status == PendingChange.Status.APPLIED


def test_escape_puts_the_row_back_unchanged(login_page, technician, live_server, tickets,
                                            board_statuses):  # fmt: skip
    ticket = tickets[1]
    page = login_page(technician)
    row = open_row_editor(page, live_server, ticket)
    page.keyboard.press("Escape")

    expect(row.locator("select")).to_have_count(0)
    expect(row.get_by_role("cell", name=ticket["status"]["name"], exact=True)).to_be_visible()
    assert not PendingChange.objects.exists()


def test_tab_moves_between_the_row_choices_without_putting_the_row_back(
    login_page, technician, live_server, tickets, board_statuses
):
    """Only Escape puts the row back: a keyboard user tabs from one choice to the next."""
    ticket = tickets[1]
    page = login_page(technician)
    row = open_row_editor(page, live_server, ticket)
    page.keyboard.press("Tab")
    # A row put back would be fetched at once: wait for the network to settle, then look.
    page.wait_for_load_state("networkidle")

    expect(row.locator("select").first).to_be_visible()
    expect(page.get_by_label(f"Status of #{ticket['id']}")).not_to_be_focused()
    expect(row).to_have_class(re.compile(r"\brow-editing\b"))
