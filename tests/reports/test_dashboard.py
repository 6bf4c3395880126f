"""The manager dashboard: each report's key figure for the period against the period of
the same length before it.

Current period 2026-03-09..03-15 (5 working days), previous 03-02..03-08.
    alice (8 h/day): 03-03 5.0 Billable | 03-10 3.0 Billable, 03-11 2.0 NoCharge
    ticket entered 03-03, closed 03-04 | ticket entered 03-10, closed 03-12; one entered 03-11
Billable hours: 5.00 before, 3.00 now, so down 2.00.
"""

import pytest
from django.urls import reverse

from tests.reports import rows
from tests.reports.pages import body

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")
PERIOD = {"range": "custom", "start": "2026-03-09", "end": "2026-03-15"}
at = rows.at


@pytest.fixture
def activity(connection):
    rows.member(connection, "alice", 8.0)
    rows.time_entry(connection, "alice", "2026-03-03", 5.0, "Billable")
    rows.time_entry(connection, "alice", "2026-03-10", 3.0, "Billable")
    rows.time_entry(connection, "alice", "2026-03-11", 2.0, "NoCharge")
    rows.ticket(connection, at("2026-03-03"), at("2026-03-04"))
    rows.ticket(connection, at("2026-03-10"), at("2026-03-12"))
    rows.ticket(connection, at("2026-03-11"))
    return connection


def test_it_compares_each_key_figure_with_the_previous_period(manager_client, activity):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    assert b"2026-03-02 \xe2\x80\x93 2026-03-08" in response.content
    figures = body(response, "dashboard")
    # billable: 5 h before, 3 h now; utilization 3 / 40 = 7.5 % against 5 / 40 = 12.5 %
    assert figures["Billable hours"] == ["3.00", "5.00", "▼ down 2.00", "Open report"]
    assert figures["Utilization %"][:3] == ["7.5", "12.5", "▼ down 5.0 points"]
    # one closed in each; kill rate 1 / 2 = 50 % against 1 / 1 = 100 %
    assert figures["Tickets closed"][:3] == ["1", "1", "unchanged"]
    assert figures["Kill rate %"][:3] == ["50.0", "100.0", "▼ down 50.0 points"]
    assert figures["Win rate %"][:3] == ["—", "—", "no comparison"]
    assert figures["Expenses"][:3] == ["0.00", "0.00", "unchanged"]


def test_it_links_into_each_report_with_the_same_period(manager_client, activity):
    response = manager_client.get(URL, PERIOD)
    time_url = reverse("reports:report", args=["time"])
    assert f'href="{time_url}?range=custom&amp;start=2026-03-09&amp;end=2026-03-15"'.encode() in (
        response.content
    )
