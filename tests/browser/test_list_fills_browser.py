"""The ticket list in Chromium while the first sync fills the mirror: the rows refresh by
themselves, what a person types in the search box stays, and the refresh stops at the end.

The sync's writes are made with its own upsert (tests/records/mirror_rows.py) beside a run
marked as under way, so the test decides when rows arrive.
"""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from psaportal.jobs.models import Job
from psaportal.records.models import SyncRun
from psaportal.records.sync.services import SYNC_JOB
from tests.records.mirror_rows import mirror_samples, ready_connection, sample_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page):
    return page.locator("#list-rows tbody tr[id^='tickets-row-']")


def next_refresh_skipped(page) -> bool:
    """Waits for the list's next own refresh and says whether list-poll.js held it back."""
    return page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener("htmx:confirm", function seen(event) {
            if (event.target.id !== "list-poll") return;
            document.removeEventListener("htmx:confirm", seen);
            resolve(event.defaultPrevented);
          });
        })"""
    )


def test_the_list_fills_by_itself_and_keeps_what_is_typed(login_page, technician, live_server):
    cache.clear()
    connection = ready_connection()
    mirror_samples(connection, "tickets", 3)
    job = Job.objects.create(kind=SYNC_JOB, label="First sync", status=Job.Status.RUNNING)
    run = SyncRun.objects.create(
        connection=connection,
        kind="tickets",
        mode=SyncRun.Mode.FULL,
        job=job,
        status=SyncRun.Status.RUNNING,
        records_total=40,
    )
    page = login_page(technician)
    page.goto(f"{live_server.url}/records/tickets/")
    expect(rows(page)).to_have_count(3)

    mirror_samples(connection, "tickets", 20)  # the sync stores more pages
    expect(rows(page)).to_have_count(20)  # nobody reloaded

    search = page.get_by_role("searchbox", name="Search tickets")
    search.fill("printer")
    expect(page).to_have_url(re.compile(r"q=printer"))
    assert next_refresh_skipped(page)  # the focus is in the search box
    mirror_samples(connection, "tickets", 40)
    page.get_by_role("heading", name="Tickets").click()  # focus leaves the form: refreshes go on
    assert not next_refresh_skipped(page)
    printers = [
        n for n in range(1, 41) if "printer" in sample_record("tickets", n)["summary"].lower()
    ]
    assert printers, "the sample data must have matching tickets"
    expect(rows(page)).to_have_count(len(printers))
    expect(search).to_have_value("printer")
    expect(page).to_have_url(re.compile(r"q=printer"))

    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)
    expect(page.locator("#list-poll")).to_have_count(0)
    cache.clear()
