"""The time and utilization report against a small data set whose figures are worked out
by hand below.

Period: Monday 2026-03-02 to Sunday 2026-03-15, two weeks, 10 working days.
alice (8 h/day, capacity 80 h), bob (6 h/day, capacity 60 h), carol (no member row: her
capacity is unknown).

    alice  03-02 Mon  5.0 Billable   Acme          carol  03-04  2.0 Billable  Acme
    alice  03-03 Tue  2.0 NoCharge   Acme          bob    03-09  5.0 Billable  Acme
    alice  03-10 Tue  3.0 Billable   Beta (billed 2.5)   bob 03-11 1.5 NoDefault Beta
    alice  03-15 Sun  1.0 DoNotBill  Beta (the period's last day)
    outside: alice 03-01 8.0 Billable, bob 03-16 7.0 Billable
"""

import pytest
from django.urls import reverse

from tests.reports import rows
from tests.reports.pages import body, chart_data, figures, table_links, table_rows

pytestmark = pytest.mark.django_db

PERIOD = {"range": "custom", "start": "2026-03-02", "end": "2026-03-15"}
URL = reverse("reports:report", args=["time"])


@pytest.fixture
def hours(connection):
    rows.member(connection, "alice", 8.0)
    rows.member(connection, "bob", 6.0)
    entry = rows.time_entry
    entry(connection, "alice", "2026-03-02", 5.0, "Billable", company_name="Acme")
    entry(connection, "alice", "2026-03-03", 2.0, "NoCharge", company_name="Acme")
    entry(connection, "alice", "2026-03-10", 3.0, "Billable", company_name="Beta", billed=2.5)
    entry(connection, "alice", "2026-03-15", 1.0, "DoNotBill", company_name="Beta")
    entry(connection, "bob", "2026-03-09", 5.0, "Billable", company_name="Acme")
    entry(connection, "bob", "2026-03-11", 1.5, "NoDefault", company_name="Beta")
    entry(connection, "carol", "2026-03-04", 2.0, "Billable", company_name="Acme")
    entry(connection, "alice", "2026-03-01", 8.0, "Billable", company_name="Acme")
    entry(connection, "bob", "2026-03-16", 7.0, "Billable", company_name="Acme")
    return connection


def test_it_totals_hours_utilization_and_realization(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    # 19.5 h worked, 15.0 billable; utilization of alice and bob (8 + 5) / 140 h = 9.29 %;
    # carol's 2 h billable are left out of it: her capacity is unknown. 14.5 / 19.5 billed.
    assert figures(response) == {
        "Hours worked": "19.50",
        "Billable hours": "15.00",
        "Utilization %": "9.3",
        "Realization %": "74.4",
    }


def test_it_shows_hours_by_member(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    table = table_rows(response, "members")
    assert table[0] == [
        "Member",
        "Hours",
        "Billable",
        "No charge",
        "Do not bill",
        "No default",
        "Hours billed",
        "Capacity",
        "Utilization %",
        "Realization %",
    ]
    assert table[1:] == [
        # alice: 8 / 80 = 10.0 %; billed 5 + 2.5 = 7.5 of 11 = 68.2 %
        ["alice", "11.00", "8.00", "2.00", "1.00", "0.00", "7.50", "80.00", "10.0", "68.2"],
        # bob: 5 / 60 = 8.3 %; 5 of 6.5 billed = 76.9 %
        ["bob", "6.50", "5.00", "0.00", "0.00", "1.50", "5.00", "60.00", "8.3", "76.9"],
        ["carol", "2.00", "2.00", "0.00", "0.00", "0.00", "2.00", "—", "—", "100.0"],
        ["All members", "19.50", "15.00", "2.00", "1.00", "1.50", "14.50", "140.00", "9.3", "74.4"],
    ]


def test_it_shows_hours_per_week_cut_to_the_period(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    assert body(response, "weeks") == {
        "2026-03-02": ["7.00", "2.00", "0.00", "0.00", "9.00"],
        "2026-03-09": ["8.00", "0.00", "1.00", "1.50", "10.50"],
    }
    assert body(response, "member-weeks") == {
        "alice": ["7.00", "4.00", "11.00"],
        "bob": ["0.00", "6.50", "6.50"],
        "carol": ["2.00", "0.00", "2.00"],
    }


def test_it_ranks_companies_by_hours(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    assert table_rows(response, "companies")[1:] == [
        ["Acme", "12.00", "2.00", "0.00", "0.00", "14.00"],
        ["Beta", "3.00", "0.00", "1.00", "1.50", "5.50"],
    ]


def test_the_timesheet_has_every_day_of_the_period(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    sheet = table_rows(response, "timesheet")
    assert sheet[0] == ["Date", "alice", "bob", "carol", "Total"]
    assert len(sheet) == 1 + 14
    assert sheet[1] == ["2026-03-02 Mon", "5.00", "0.00", "0.00", "5.00"]
    assert sheet[-1] == ["2026-03-15 Sun", "1.00", "0.00", "0.00", "1.00"]


def test_the_member_filter_narrows_every_figure(manager_client, hours):
    response = manager_client.get(URL, {**PERIOD, "member": "bob"})
    assert figures(response)["Hours worked"] == "6.50"
    assert figures(response)["Utilization %"] == "8.3"
    assert list(body(response, "members")) == ["bob", "All members"]


def test_the_company_filter_narrows_every_figure(manager_client, hours):
    response = manager_client.get(URL, {**PERIOD, "company": "Beta"})
    assert figures(response)["Hours worked"] == "5.50"
    assert list(body(response, "companies")) == ["Beta"]


def test_the_chart_draws_the_table_numbers(manager_client, hours):
    response = manager_client.get(URL, PERIOD)
    chart = chart_data(response, "members")
    assert chart["labels"] == ["alice", "bob", "carol"]
    assert [series["label"] for series in chart["datasets"]] == [
        "Billable",
        "No charge",
        "Do not bill",
        "No default",
    ]
    assert chart["datasets"][0]["data"] == [8.0, 5.0, 2.0]
    assert chart["datasets"][3]["data"] == [0.0, 1.5, 0.0]
    # A bar links where its cell does; an empty one nowhere.
    links = table_links(response, "members")
    assert chart["datasets"][0]["links"][0] == links[1][2]
    assert chart["datasets"][3]["links"][0] == ""


def test_an_empty_period_shows_zeros_and_no_charts(manager_client, hours):
    response = manager_client.get(
        URL, {"range": "custom", "start": "2025-01-06", "end": "2025-01-12"}
    )
    assert figures(response) == {
        "Hours worked": "0.00",
        "Billable hours": "0.00",
        "Utilization %": "—",
        "Realization %": "—",
    }
    assert table_rows(response, "members") == []
    assert b'data-chart-for="members"' not in response.content
    assert body(response, "weeks") == {"2025-01-06": ["0.00", "0.00", "0.00", "0.00", "0.00"]}


def test_a_long_period_has_no_daily_timesheet(manager_client, hours):
    response = manager_client.get(
        URL, {"range": "custom", "start": "2026-01-01", "end": "2026-03-31"}
    )
    assert b"Choose a period of 31 days or fewer" in response.content
