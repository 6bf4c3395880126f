"""The ticket list in Chromium: a technician filters, searches, sorts and opens a ticket.

The mirror is filled with the sync's own upsert (tests/records/mirror_rows.py); HTMX swaps
the rows in and keeps the state in the address bar.
"""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.records.mirror_rows import STATUSES, mirror_samples, ready_connection, sample_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TICKETS = 40


@pytest.fixture
def ticket_list(login_page, technician, live_server):
    cache.clear()
    mirror_samples(ready_connection(), "tickets", TICKETS)
    page = login_page(technician)
    page.goto(f"{live_server.url}/records/tickets/")
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    yield page
    cache.clear()


def rows(page):
    return page.locator("#list-rows tbody tr")


def expected_ids(status: str, word: str) -> list[int]:
    return [
        n
        for n in range(1, TICKETS + 1)
        if sample_record("tickets", n)["status"]["name"] == status
        and word.lower() in sample_record("tickets", n)["summary"].lower()
    ]


def test_technician_filters_the_ticket_list_and_opens_a_ticket(ticket_list, live_server):
    page = ticket_list
    status = STATUSES[1]
    page.locator("#list-form").get_by_label("Status").select_option(status)
    expect(page).to_have_url(re.compile(r"status=In\+Progress"))

    page.get_by_role("searchbox", name="Search tickets").fill("printer")
    expect(page).to_have_url(re.compile(r"q=printer"))
    wanted = expected_ids(status, "printer")
    assert wanted, "the sample data must have matching tickets"
    expect(rows(page)).to_have_count(len(wanted))
    for row in rows(page).all():
        expect(row).to_contain_text(status)
        expect(row).to_contain_text("Printer")
    # A screen reader hears the new count from the status line, not the whole table.
    expect(page.get_by_role("status").filter(has_text="Tickets:")).to_have_text(
        f"Tickets: 1–{len(wanted)} of {len(wanted)}"
    )

    # The filtered view survives a reload: the state lives in the URL.
    page.reload()
    expect(page.locator("#list-form").get_by_label("Status")).to_have_value(status)
    expect(rows(page)).to_have_count(len(wanted))

    first = rows(page).first.get_by_role("link").first
    ticket_id = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(rf"/records/tickets/{ticket_id}/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"Ticket #{ticket_id}")
    expect(heading).to_contain_text(sample_record("tickets", int(ticket_id))["summary"])
    expect(page.locator("#record-body")).to_contain_text(status)


def test_sorting_by_a_column_header_reorders_the_rows(ticket_list):
    page = ticket_list
    header = page.locator("#list-rows thead").get_by_role("link", name="Summary")
    header.click()
    expect(page).to_have_url(re.compile(r"sort=summary"))
    first_sorted = rows(page).first.get_by_role("link").first.inner_text()
    page.locator("#list-rows thead").get_by_role("link", name=re.compile("^Summary")).click()
    expect(page).to_have_url(re.compile(r"sort=-summary"))
    expect(rows(page).first.get_by_role("link").first).not_to_have_text(first_sorted)
