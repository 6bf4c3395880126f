"""The pipeline report against eight opportunities, figures worked out by hand.

Period: March 2026.
    O1 Open  1. Prospect  alice 1000  expected 2026-04-10
    O2 Open  3. Proposal  bob   2500  expected 2026-04-20
    O3 Open  3. Proposal  alice  500  expected 2026-05-05
    O4 Won   alice 4000 closed 03-10      O5 Lost alice 1500 closed 03-20
    O6 Won   bob   3000 closed 03-31 23:59 (the period's last minute)
    O7 Won   bob   9999 closed 04-01 00:00 (after)   O8 No Decision bob 700 closed 03-15
Open: 3 worth 4000; won 2 worth 7000, lost 1 worth 1500: win rate 2 / 3.
"""

import pytest
from django.urls import reverse

from tests.reports import rows
from tests.reports.pages import body, figures

pytestmark = pytest.mark.django_db

PERIOD = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
URL = reverse("reports:report", args=["pipeline"])
at = rows.at


@pytest.fixture
def pipeline(connection):
    def opportunity(status, total, rep, **fields):
        return rows.opportunity(connection, status, total, sales_rep_identifier=rep, **fields)

    opportunity(
        "Open", "1000", "alice", stage_name="1. Prospect", expected_close_date=at("2026-04-10")
    )
    opportunity(
        "Open", "2500", "bob", stage_name="3. Proposal", expected_close_date=at("2026-04-20")
    )
    opportunity(
        "Open", "500", "alice", stage_name="3. Proposal", expected_close_date=at("2026-05-05")
    )
    opportunity("Won", "4000", "alice", closed_date=at("2026-03-10"))
    opportunity("Lost", "1500", "alice", closed_date=at("2026-03-20"))
    opportunity("Won", "3000", "bob", closed_date=at("2026-03-31", "23:59"))
    opportunity("Won", "9999", "bob", closed_date=at("2026-04-01", "00:00"))
    opportunity("No Decision", "700", "bob", closed_date=at("2026-03-15"))
    return connection


def test_it_sums_the_open_pipeline_and_the_wins(manager_client, pipeline):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    assert figures(response) == {
        "Open opportunities": "3",
        "Open expected revenue": "4000.00",
        "Won": "2",
        "Won revenue": "7000.00",
        "Lost": "1",
        "Win rate %": "66.7",
    }


def test_it_splits_the_open_pipeline_by_stage_rep_and_month(manager_client, pipeline):
    response = manager_client.get(URL, PERIOD)
    assert body(response, "stages") == {
        "1. Prospect": ["1", "1000.00"],
        "3. Proposal": ["2", "3000.00"],
    }
    assert body(response, "reps") == {"alice": ["2", "1500.00"], "bob": ["1", "2500.00"]}
    assert body(response, "close-months") == {
        "2026-04": ["2", "3500.00"],
        "2026-05": ["1", "500.00"],
    }


def test_it_shows_won_and_lost_by_rep(manager_client, pipeline):
    response = manager_client.get(URL, PERIOD)
    assert body(response, "won-lost") == {
        "alice": ["1", "4000.00", "1", "1500.00", "50.0"],
        "bob": ["1", "3000.00", "0", "0.00", "100.0"],
    }


def test_the_rep_filter_narrows_the_figures(manager_client, pipeline):
    response = manager_client.get(URL, {**PERIOD, "member": "bob"})
    assert figures(response)["Open opportunities"] == "1"
    assert figures(response)["Won revenue"] == "3000.00"


def test_an_empty_period_has_no_win_rate(manager_client, pipeline):
    response = manager_client.get(
        URL, {"range": "custom", "start": "2025-01-01", "end": "2025-01-31"}
    )
    assert figures(response)["Won"] == "0"
    assert figures(response)["Win rate %"] == "—"
    assert figures(response)["Open opportunities"] == "3"  # the open pipeline is as of now
