"""Every table's CSV holds exactly the cells the page shows, and every number links to a
record list that holds the records behind it: the count (or the hours, or the amount) on
the list equals the number clicked."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from psaportal.reports.catalog import REPORTS
from tests.records.mirror_rows import mirror_samples
from tests.reports.pages import csv_rows, table_links, table_rows

pytestmark = pytest.mark.django_db

PERIOD = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
SAMPLES = 40


@pytest.fixture
def samples(connection):
    for kind in ("tickets", "time_entries", "opportunities", "expense_entries"):
        mirror_samples(connection, kind, SAMPLES)
    return connection


@pytest.mark.parametrize("slug", list(REPORTS))
def test_each_tables_csv_equals_the_table(manager_client, samples, slug):
    response = manager_client.get(reverse("reports:report", args=[slug]), PERIOD)
    tables = response.context["report"].tables
    checked = 0
    for table in tables:
        shown = table_rows(response, table.key)
        exported = csv_rows(
            manager_client.get(reverse("reports:export", args=[slug, table.key]), PERIOD)
        )
        if shown:
            assert exported == shown, table.key
            checked += 1
        else:
            assert exported == [table.columns], table.key
    assert checked >= 2, "the samples must fill some tables"


def test_the_csv_is_a_download_named_for_the_report_and_period(manager_client, samples):
    response = manager_client.get(reverse("reports:export", args=["expenses", "types"]), PERIOD)
    assert response["Content-Disposition"] == (
        'attachment; filename="expenses-types-20260301-20260331.csv"'
    )


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["notices"] == [], url
    return response.context["page"].count, response.context["rows"]


# (report, table, how to read the list behind a cell: count, hours or amount)
COUNT_TABLES = [
    ("service-desk", "weeks"),
    ("service-desk", "backlog"),
    ("service-desk", "companies"),
    ("service-desk", "types"),
    ("service-desk", "items"),
    ("service-desk", "owners"),
    ("pipeline", "stages"),
    ("pipeline", "close-months"),
    ("pipeline", "won-lost"),
]


@pytest.mark.parametrize(("slug", "key"), COUNT_TABLES)
def test_each_count_links_to_as_many_records(manager_client, samples, slug, key):
    response = manager_client.get(reverse("reports:report", args=[slug]), PERIOD)
    followed = 0
    for cells, links in zip(
        table_rows(response, key)[1:], table_links(response, key)[1:], strict=True
    ):
        for text, link in zip(cells, links, strict=True):
            if link and text.isdigit():
                count, _ = _listed(manager_client, link)
                assert count == int(text), (link, text)
                followed += 1
    assert followed, "the samples must give this table some numbers"


def test_hours_link_to_time_entries_with_those_hours(manager_client, samples):
    response = manager_client.get(reverse("reports:report", args=["time"]), PERIOD)
    followed = 0
    for table in ("members", "weeks", "companies"):
        for cells, links in zip(
            table_rows(response, table)[1:], table_links(response, table)[1:], strict=True
        ):
            for text, link in zip(cells[1:], links[1:], strict=True):
                if link:
                    assert urlsplit(link).path == reverse("records:list", args=["time_entries"])
                    _, rows = _listed(manager_client, link + "&page_size=100")
                    assert f"{sum(row['actual_hours'] for row in rows):.2f}" == text, link
                    followed += 1
    assert followed > 10


def test_amounts_link_to_expense_entries_with_that_amount(manager_client, samples):
    response = manager_client.get(reverse("reports:report", args=["expenses"]), PERIOD)
    followed = 0
    for table in ("members", "types", "companies"):
        for cells, links in zip(
            table_rows(response, table)[1:], table_links(response, table)[1:], strict=True
        ):
            count, _ = _listed(manager_client, links[1])
            assert count == int(cells[1])
            for text, link in zip(cells[2:], links[2:], strict=True):
                if link:
                    _, rows = _listed(manager_client, link + "&page_size=100")
                    assert str(sum((row["amount"] for row in rows), Decimal("0.00"))) == text
                    followed += 1
    assert followed > 5
