"""The service desk report against six tickets whose figures are worked out by hand.

Period: 2026-03-02 to 2026-03-15 (weeks of 03-02 and 03-09).

    T1 Acme  alice  entered 03-02 08:00  responded 08:30  closed 03-02 17:00  (9 h, same day)
    T2 Acme  bob    entered 03-03 10:00  responded 12:00  closed 03-05 10:00  (48 h)
    T3 Beta  —      entered 03-10 09:00  open, New, never responded
    T4 Beta  alice  entered 02-20 09:00  closed 03-15 23:59, the last minute of the period
                    (552 h + 14 h 59 min = 566.98 h)
    T5 Acme  bob    entered 03-12 09:00  responded 13:00  closed 03-16 00:00, after the period
    T6 Acme  alice  entered 03-14 09:00  responded 10:00  open, In Progress

Opened in the period: T1 T2 T3 T5 T6 = 5; closed in it: T1 T2 T4 = 3; kill rate 60 %.
Time entries: T1 one by alice; T2 alice and bob; T4 two by alice.
"""

import datetime

import pytest
from django.urls import reverse

from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period
from psaportal.reports.selectors import service_desk
from tests.reports import rows
from tests.reports.pages import body, figures, table_rows

pytestmark = pytest.mark.django_db

PERIOD = {"range": "custom", "start": "2026-03-02", "end": "2026-03-15"}
URL = reverse("reports:report", args=["service-desk"])
at = rows.at


@pytest.fixture
def desk(connection):
    def ticket(entered, closed=None, responded=None, **fields):
        fields.setdefault("board_name", "Service Desk")
        fields.setdefault("type_name", "Incident")
        return rows.ticket(connection, entered, closed, date_responded=responded, **fields)

    t1 = ticket(
        at("2026-03-02", "08:00"),
        at("2026-03-02", "17:00"),
        at("2026-03-02", "08:30"),
        company_name="Acme",
        owner_identifier="alice",
        status_name="Closed",
        item_name="Workstation",
    )
    t2 = ticket(
        at("2026-03-03", "10:00"),
        at("2026-03-05", "10:00"),
        at("2026-03-03", "12:00"),
        company_name="Acme",
        owner_identifier="bob",
        status_name="Closed",
        item_name="Server",
    )
    ticket(
        at("2026-03-10", "09:00"),
        company_name="Beta",
        status_name="New",
        type_name="Service Request",
        item_name="Workstation",
    )
    t4 = ticket(
        at("2026-02-20", "09:00"),
        at("2026-03-15", "23:59"),
        at("2026-02-20", "10:00"),
        company_name="Beta",
        owner_identifier="alice",
        status_name="Closed",
    )
    ticket(
        at("2026-03-12", "09:00"),
        at("2026-03-16", "00:00"),
        at("2026-03-12", "13:00"),
        company_name="Acme",
        owner_identifier="bob",
        status_name="Closed",
    )
    ticket(
        at("2026-03-14", "09:00"),
        None,
        at("2026-03-14", "10:00"),
        company_name="Acme",
        owner_identifier="alice",
        status_name="In Progress",
        type_name="Problem",
        item_name="Firewall",
    )
    for ticket_row, member in (
        (t1, "alice"),
        (t2, "alice"),
        (t2, "bob"),
        (t4, "alice"),
        (t4, "alice"),
    ):
        rows.time_entry(
            connection, member, "2026-03-04", 1.0, "Billable", ticket_id=ticket_row.psa_id
        )
    return connection


def test_it_counts_opened_and_closed_tickets_and_times(manager_client, desk):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    assert figures(response) == {
        "Opened": "5",
        "Closed": "3",
        "Kill rate %": "60.0",
        "New now": "1",
        "Open now": "2",
        # responses of the tickets opened: 0.5, 2, 4, 1 h: mean 1.875, median 1.5
        "First response, mean h": "1.9",
        # closes: 9, 48, 566.98 h: mean 208.0, median 48
        "Time to close, mean h": "208.0",
        "Same-day close %": "33.3",  # T1 of 3
        "One technician %": "66.7",  # T1 and T4 of 3 worked
        "First-touch resolution %": "33.3",  # T1 of 3
    }
    hints = {figure.label: figure.hint for figure in response.context["report"].figures}
    assert hints["First response, mean h"] == "Median 1.5 h over 4 tickets opened"
    assert hints["Time to close, mean h"] == "Median 48.0 h over 3 tickets closed"


def test_it_shows_opened_and_closed_per_week(manager_client, desk):
    response = manager_client.get(URL, PERIOD)
    assert body(response, "weeks") == {
        "2026-03-02": ["2", "2", "100.0"],
        "2026-03-09": ["3", "1", "33.3"],
    }


def test_it_shows_the_backlog_and_where_tickets_come_from(manager_client, desk):
    response = manager_client.get(URL, PERIOD)
    assert table_rows(response, "backlog")[1:] == [
        ["Service Desk · In Progress", "Service Desk", "In Progress", "1"],
        ["Service Desk · New", "Service Desk", "New", "1"],
    ]
    assert body(response, "companies") == {"Acme": ["4"], "Beta": ["1"]}
    assert body(response, "types") == {
        "Incident": ["3"],
        "Problem": ["1"],
        "Service Request": ["1"],
    }
    assert body(response, "items") == {
        "Workstation": ["2"],
        "(none)": ["1"],
        "Firewall": ["1"],
        "Server": ["1"],
    }
    assert body(response, "owners") == {
        "(unassigned)": ["1", "0"],
        "alice": ["2", "2"],
        "bob": ["2", "1"],
    }


def test_the_owner_and_board_filters_narrow_the_figures(manager_client, desk):
    response = manager_client.get(URL, {**PERIOD, "member": "alice"})
    assert figures(response)["Opened"] == "2"
    assert figures(response)["Closed"] == "2"
    response = manager_client.get(URL, {**PERIOD, "board": "Network"})
    assert figures(response)["Opened"] == "0"
    assert figures(response)["Kill rate %"] == "—"


def test_a_ticket_closed_at_midnight_after_the_period_counts_in_the_next(manager_client, desk):
    response = manager_client.get(
        URL, {"range": "custom", "start": "2026-03-16", "end": "2026-03-16"}
    )
    assert figures(response)["Closed"] == "1"  # T5
    assert figures(response)["Opened"] == "0"


def test_the_period_follows_the_portal_time_zone(manager_client, connection, settings):
    settings.TIME_ZONE = "America/New_York"
    # 23:59 on the last day in New York is 03:59 the next day in UTC: still in the period.
    rows.ticket(connection, at("2026-03-10"), at("2026-03-15", "23:59"))
    rows.ticket(connection, at("2026-03-10"), at("2026-03-16", "00:00"))
    response = manager_client.get(URL, PERIOD)
    assert figures(response)["Closed"] == "1"
    assert body(response, "weeks")["2026-03-09"] == ["2", "1", "50.0"]


def test_ageing_counts_open_tickets_by_whole_days(connection):
    today = datetime.date(2026, 3, 31)
    for day in (
        "2026-03-31",
        "2026-03-30",
        "2026-03-29",
        "2026-03-24",
        "2026-03-23",
        "2026-03-01",
        "2026-02-28",
    ):
        rows.ticket(connection, at(day, "23:30"))
    rows.ticket(connection, at("2026-03-31"), at("2026-03-31", "10:00"))  # closed: not aged
    table = service_desk.ageing_table(connection=connection, filters=ReportFilters(), today=today)
    counts = {row[0].text: row[1].text for row in table.rows}
    # ages 0 and 1 | 2 and 7 | 8 and 30 | 31
    assert counts == {"0–1 days": "2", "2–7 days": "2", "8–30 days": "2", "Over 30 days": "1"}


def test_an_empty_period_has_no_rates(connection):
    report = service_desk.service_desk_report(
        connection=connection,
        period=Period(datetime.date(2026, 1, 5), datetime.date(2026, 1, 11)),
        filters=ReportFilters(),
    )
    shown = {figure.label: figure.text for figure in report.figures}
    assert shown["Opened"] == shown["Closed"] == "0"
    assert (
        shown["Kill rate %"] == shown["Time to close, mean h"] == shown["One technician %"] == "—"
    )
