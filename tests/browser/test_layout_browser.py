"""The pages at a desktop's width (1400 px) and a phone's (390 px) in Chromium.

The ticket list's search box is wide enough to read a word; its filters wrap beneath it on
a desktop and fold behind "Filters (n active)" on a phone, so the table comes soon; the main
menu folds behind "Menu" on a phone; and no role's main pages are wider than the viewport
(wide tables scroll inside their own box).
"""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.records.mirror_rows import STATUSES, mirror_samples, ready_connection, sample_record
from tests.reports import rows as report_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
TICKETS = 40

# The main pages of each role (a manager's home sends them to the reports).
MAIN_PAGES = {
    "technician": [
        "/",
        "/records/tickets/",
        "/records/tickets/1/",
        "/records/tickets/1/edit/",
        "/records/companies/",
        "/records/time_entries/",
        "/records/changes/",
        "/accounts/profile/",
    ],
    "manager": [
        "/reports/",
        "/reports/time/?range=custom&start=2026-03-02&end=2026-03-08",
        "/reports/service-desk/",
        "/reports/pipeline/",
        "/reports/expenses/",
    ],
    "admin": [
        "/",
        "/records/tickets/",
        "/records/sync/",
        "/connection/",
        "/accounts/users/",
        "/accounts/audit/",
        "/actions/",
        "/actions/runs/",
        "/api-console/",
        "/api-console/history/",
        "/jobs/",
    ],
}


@pytest.fixture
def mirror():
    cache.clear()
    connection = ready_connection()
    mirror_samples(connection, "tickets", TICKETS)
    mirror_samples(connection, "companies", 6)
    report_rows.member(connection, "alice", 8.0)
    report_rows.time_entry(connection, "alice", "2026-03-03", 5.0, "Billable", company_name="Acme")
    yield connection
    cache.clear()


def ticket_list(page, live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/records/tickets/")
    expect(page.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    return page


def overflow(page) -> int:
    """How many pixels the document is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "the element is not rendered"
    return found


def main_menu_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_on_a_desktop_the_search_box_is_wide_and_the_filters_wrap_beneath_it(
    login_page, technician, live_server, mirror
):
    page = ticket_list(login_page(technician), live_server, DESKTOP)
    search = page.get_by_role("searchbox", name="Search tickets")
    search_box = box(search)
    assert search_box["width"] >= 300
    search.fill("printer")
    # The whole typed word shows: the text is not wider than the input.
    assert search.evaluate("input => input.scrollWidth <= input.clientWidth")

    status = page.locator("#list-form").get_by_label("Status")
    expect(status).to_be_visible()
    assert box(status)["y"] >= search_box["y"] + search_box["height"]
    # The filters are shown without a toggle, and so is the whole menu.
    expect(page.locator(".list-filters-toggle > summary")).to_be_hidden()
    expect(page.locator(".nav-menu > summary")).to_be_hidden()
    expect(main_menu_link(page, "Tickets")).to_be_visible()
    assert overflow(page) == 0


def test_on_a_phone_the_filters_fold_and_the_table_comes_soon(
    login_page, technician, live_server, mirror
):
    page = ticket_list(login_page(technician), live_server, PHONE)
    width = PHONE["width"]
    search_group = box(page.locator(".list-search"))
    assert search_group["x"] >= 0 and search_group["x"] + search_group["width"] <= width
    assert search_group["width"] >= 0.9 * width
    assert box(page.get_by_role("searchbox", name="Search tickets"))["width"] >= 0.7 * width

    status = page.locator("#list-form").get_by_label("Status")
    expect(status).to_be_hidden()
    toggle = page.locator(".list-filters-toggle > summary")
    expect(toggle).to_have_text("Filters (0 active)")
    assert box(page.locator("#list-rows table"))["y"] <= 1.5 * PHONE["height"]
    assert overflow(page) == 0

    toggle.click()
    status.select_option(STATUSES[0])
    expect(page).to_have_url(re.compile(r"status=New"))
    # The swapped rows bring the new count to the folded summary.
    expect(toggle).to_have_text("Filters (1 active)")
    wanted = [
        n for n in range(1, TICKETS + 1) if sample_record("tickets", n)["status"]["name"] == "New"
    ]
    expect(page.locator("#list-rows tbody tr")).to_have_count(len(wanted))
    assert overflow(page) == 0


def test_on_a_phone_the_main_menu_folds_and_opens_with_the_keyboard(
    login_page, technician, live_server, mirror
):
    page = ticket_list(login_page(technician), live_server, PHONE)
    tickets_link = main_menu_link(page, "Tickets")
    expect(tickets_link).to_be_hidden()
    menu = page.locator(".nav-menu > summary")
    expect(menu).to_have_text("Menu")
    menu_box = box(menu)
    assert menu_box["x"] + menu_box["width"] <= PHONE["width"]

    menu.focus()
    page.keyboard.press("Enter")
    expect(tickets_link).to_be_visible()
    user_menu = page.locator(".nav-menu details.dropdown > summary")
    expect(user_menu).to_contain_text(technician.username)
    user_box = box(user_menu)
    assert user_box["x"] >= 0 and user_box["x"] + user_box["width"] <= PHONE["width"]
    assert overflow(page) == 0

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Dashboard")).to_be_focused()
    tickets_link.click()
    expect(page).to_have_url(re.compile(r"/records/tickets/$"))


@pytest.mark.parametrize("role", sorted(MAIN_PAGES))
def test_no_main_page_is_wider_than_a_phone_or_a_desktop(
    request, login_page, live_server, mirror, role
):
    page = login_page(request.getfixturevalue(role))
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for path in MAIN_PAGES[role]:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.ok, path
            expect(page.locator("#main")).to_be_visible()
            assert overflow(page) == 0, f"{path} is wider than {viewport['width']} px"
