"""The consoles in Chromium: an admin finds "list open tickets", runs it and sees the rows;
then sends a GET in the API console and pages on to the next page.

The dashboard runs on Django's live server with tasks in-process; Membrane is the sandbox.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.actions.conftest import psa_connection  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(login_page, admin, request):
    request.getfixturevalue("psa_connection")
    return login_page(admin)


def test_admin_finds_an_action_runs_it_and_sees_rows(admin_page):
    page = admin_page
    page.get_by_role("link", name="Actions", exact=True).click()
    expect(page.get_by_role("heading", name="Action console")).to_be_visible()
    page.get_by_label("What do you want to do?").fill("list open tickets")
    page.get_by_role("button", name="Find actions").click()

    results = page.locator(".action-result")
    expect(results.first.get_by_role("heading", name="List Tickets")).to_be_visible()
    results.first.get_by_role("button", name="Run List Tickets").click()

    expect(page.get_by_role("heading", name="List Tickets", level=1)).to_be_visible()
    page.get_by_label("conditions", exact=True).fill('status/name != "Closed"')
    page.get_by_label("pageSize", exact=True).fill("5")
    page.get_by_role("button", name="Run List Tickets").click()

    rows = page.locator(".output-table tbody tr")
    expect(rows).to_have_count(5)
    first_link = rows.first.get_by_role("link")
    expect(first_link).to_have_attribute("href", re.compile(r"^/records/tickets/\d+/$"))
    # The form keeps what was typed, ready to run again.
    expect(page.get_by_label("pageSize", exact=True)).to_have_value("5")


def test_admin_sends_a_get_and_pages_to_the_next_page(admin_page):
    page = admin_page
    page.get_by_role("link", name="API console").click()
    expect(page.get_by_role("heading", name="PSA API console")).to_be_visible()
    page.get_by_label("Path").fill("/service/tickets")
    page.get_by_label("Page size").fill("3")
    page.get_by_label("Order by").fill("id asc")
    page.get_by_role("button", name="Send request").click()

    answer = page.locator("#api-response")
    expect(answer.get_by_role("heading", name="200 OK")).to_be_visible()
    expect(answer.locator(".output-table tbody tr")).to_have_count(3)
    first_page_ids = answer.locator(".output-table tbody tr td:first-child").all_inner_texts()

    answer.get_by_role("button", name="Next page").click()
    expect(answer.locator("code", has_text="page=2")).to_be_visible()
    expect(answer.locator(".output-table tbody tr")).to_have_count(3)
    next_ids = answer.locator(".output-table tbody tr td:first-child").all_inner_texts()
    assert min(map(int, next_ids)) > max(map(int, first_page_ids))


def test_consoles_fit_a_phone_screen(admin_page, live_server):
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/actions/", "/api-console/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
