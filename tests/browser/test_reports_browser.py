"""The utilization report in Chromium: a manager sees the chart drawn and clicks a bar to
the time entries behind it."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.records.mirror_rows import ready_connection
from tests.reports import rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def report_page(login_page, manager, live_server):
    cache.clear()
    connection = ready_connection()
    rows.member(connection, "alice", 8.0)
    rows.time_entry(connection, "alice", "2026-03-02", 5.0, "Billable", company_name="Acme")
    rows.time_entry(connection, "alice", "2026-03-03", 2.0, "Billable", company_name="Acme")
    rows.time_entry(connection, "alice", "2026-03-04", 1.0, "NoCharge", company_name="Acme")
    rows.time_entry(connection, "bob", "2026-03-04", 4.0, "Billable", company_name="Beta")
    page = login_page(manager)
    yield page
    cache.clear()


def test_manager_clicks_a_bar_and_lands_on_its_time_entries(report_page, live_server):
    page = report_page
    page.goto(f"{live_server.url}/reports/time/?range=custom&start=2026-03-02&end=2026-03-08")
    expect(page.get_by_role("heading", name="Time and utilization")).to_be_visible()
    chart = page.locator('canvas[data-chart-for="members"]')
    expect(chart).to_have_attribute("data-chart-ready", "true")
    # The middle of alice's Billable bar (the first series, the first bar).
    point = chart.evaluate(
        """canvas => {
            const bar = Chart.getChart(canvas).getDatasetMeta(0).data[0];
            return {x: (bar.x + bar.base) / 2, y: bar.y};
        }"""
    )
    chart.click(position=point)
    expect(page).to_have_url(
        re.compile(r"/records/time_entries/\?.*member=alice.*billable=Billable")
    )
    expect(page.locator("#list-rows tbody tr")).to_have_count(2)


def test_changing_the_period_swaps_the_report_and_keeps_it_in_the_address(report_page, live_server):
    page = report_page
    page.goto(f"{live_server.url}/reports/time/?range=custom&start=2026-03-02&end=2026-03-08")
    page.get_by_role("combobox", name="Member", exact=True).fill("bob")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"member=bob"))
    expect(page.locator("#table-members tbody tr")).to_have_count(1)
    expect(page.locator('canvas[data-chart-for="members"]')).to_have_attribute(
        "data-chart-ready", "true"
    )
