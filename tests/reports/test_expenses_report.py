"""The expense report against four entries, figures worked out by hand.

Period: March 2026.
    alice 03-01 Mileage Acme 10.50 billable    alice 03-31 Meals Beta 20.00 not billable
    bob   03-15 Mileage Acme 30.25 billable    bob   04-01 Mileage Acme 99.00 (after)
Total 60.75 = 40.75 billable + 20.00 not.
"""

import pytest
from django.urls import reverse

from tests.reports import rows
from tests.reports.pages import figures, table_rows

pytestmark = pytest.mark.django_db

PERIOD = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
URL = reverse("reports:report", args=["expenses"])


@pytest.fixture
def spend(connection):
    rows.expense(
        connection, "alice", "2026-03-01", "10.50", True, type_name="Mileage", company_name="Acme"
    )
    rows.expense(
        connection, "alice", "2026-03-31", "20.00", False, type_name="Meals", company_name="Beta"
    )
    rows.expense(
        connection, "bob", "2026-03-15", "30.25", True, type_name="Mileage", company_name="Acme"
    )
    rows.expense(
        connection, "bob", "2026-04-01", "99.00", True, type_name="Mileage", company_name="Acme"
    )
    return connection


def test_it_totals_the_expenses(manager_client, spend):
    response = manager_client.get(URL, PERIOD)
    assert figures(response) == {
        "Entries": "3",
        "Amount": "60.75",
        "Billable": "40.75",
        "Not billable": "20.00",
    }


def test_it_splits_them_by_member_type_and_company(manager_client, spend):
    response = manager_client.get(URL, PERIOD)
    assert table_rows(response, "members") == [
        ["Member", "Entries", "Amount", "Billable", "Not billable"],
        ["alice", "2", "30.50", "10.50", "20.00"],
        ["bob", "1", "30.25", "30.25", "0.00"],
    ]
    assert table_rows(response, "types")[1:] == [
        ["Mileage", "2", "40.75", "40.75", "0.00"],
        ["Meals", "1", "20.00", "0.00", "20.00"],
    ]
    assert table_rows(response, "companies")[1:] == [
        ["Acme", "2", "40.75", "40.75", "0.00"],
        ["Beta", "1", "20.00", "0.00", "20.00"],
    ]


def test_the_company_filter_narrows_the_figures(manager_client, spend):
    response = manager_client.get(URL, {**PERIOD, "company": "Beta"})
    assert figures(response)["Amount"] == "20.00"


def test_an_empty_period_shows_zeros(manager_client, spend):
    response = manager_client.get(
        URL, {"range": "custom", "start": "2026-02-01", "end": "2026-02-28"}
    )
    assert figures(response)["Amount"] == "0.00"
    assert b"Nothing in this period." in response.content
