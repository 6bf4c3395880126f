"""The manager dashboard is where managers land: home sends them to it once the PSA is
connected; technicians and admins stay on home."""

import pytest
from django.urls import reverse

from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("home")
REPORTS = reverse("reports:dashboard")


def test_it_lands_a_manager_on_the_reports_after_login(client, manager, connection):
    response = client.post(
        reverse("login"), {"username": "manager", "password": PASSWORD}, follow=True
    )
    assert [url for url, _ in response.redirect_chain] == [HOME, REPORTS]
    assert response.status_code == 200
    assert b"Billable hours" in response.content


def test_it_keeps_technicians_and_admins_on_home(client_for, technician, admin, connection):
    for user in (technician, admin):
        response = client_for(user).get(HOME)
        assert response.status_code == 200, user
        assert b"<h1>Dashboard</h1>" in response.content


def test_it_shows_a_manager_home_until_the_psa_is_connected(client_for, manager):
    response = client_for(manager).get(HOME)
    assert response.status_code == 200
    assert b"<h1>Dashboard</h1>" in response.content
