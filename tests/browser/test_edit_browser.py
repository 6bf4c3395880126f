"""Editing tickets in Chromium, against the sandbox's PSA: one ticket from its page, and a
bulk change from the list (tasks run in-process, as on the embedded default)."""

import pytest
from playwright.sync_api import expect

from psaportal.records.models import Priority
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
