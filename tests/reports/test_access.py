"""Who may read reports: managers and admins; technicians get 403. Plus the edges every
view has: unknown report or table, not connected, the HTMX fragment."""

import pytest
from django.urls import reverse

from psaportal.connections.models import Connection

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("reports:dashboard"),
    *(
        reverse("reports:report", args=[slug])
        for slug in ("time", "service-desk", "pipeline", "expenses")
    ),
    reverse("reports:export", args=["time", "members"]),
]


@pytest.mark.parametrize("url", PAGES)
def test_technicians_are_refused(technician_client, connection, url):
    assert technician_client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_managers_and_admins_may_read(manager_client, admin, client_for, connection, url):
    assert manager_client.get(url).status_code == 200
    assert client_for(admin).get(url).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, connection):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_navigation_offers_reports_to_managers_only(manager_client, technician, client_for):
    assert b'href="/reports/"' in manager_client.get("/").content
    assert b'href="/reports/"' not in client_for(technician).get("/").content


def test_it_rejects_post(manager_client, connection):
    assert manager_client.post(reverse("reports:report", args=["time"])).status_code == 405


def test_unknown_reports_and_tables_are_404(manager_client, connection):
    assert manager_client.get(reverse("reports:report", args=["payroll"])).status_code == 404
    assert (
        manager_client.get(reverse("reports:export", args=["time", "payroll"])).status_code == 404
    )


def test_without_a_ready_connection_it_asks_to_connect(manager_client, db):
    Connection.objects.create(membrane_id="c-1", state=Connection.State.BUILDING)
    response = manager_client.get(reverse("reports:report", args=["time"]))
    assert b"Connect ConnectWise PSA first" in response.content


def test_htmx_gets_the_report_body_only_and_the_clean_url(manager_client, connection):
    url = reverse("reports:report", args=["time"])
    response = manager_client.get(
        url, {"range": "last_week", "member": " ", "company": ""}, headers={"HX-Request": "true"}
    )
    assert b'id="report-body"' in response.content
    assert b"<html" not in response.content
    assert response["HX-Push-Url"] == f"{url}?range=last_week"
