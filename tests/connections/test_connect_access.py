import pytest
from django.urls import reverse

from psaportal.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["technician", "manager"])
def test_only_admins_reach_the_wizard(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("connections:page")).status_code == 403
    assert client.post(reverse("connections:connect")).status_code == 403
    assert client.post(reverse("connections:check")).status_code == 403
    assert not Job.objects.exists()


def test_connect_and_check_need_a_post(admin_client):
    assert admin_client.get(reverse("connections:connect")).status_code == 405
    assert admin_client.get(reverse("connections:check")).status_code == 405


def test_the_nav_links_the_wizard_for_admins_only(admin_client, client_for, manager):
    link = f'<a href="{reverse("connections:page")}">Connection</a>'
    assert link in admin_client.get(reverse("home")).content.decode()
    assert link not in client_for(manager).get(reverse("home")).content.decode()


def test_technician_sees_no_client_action_link_on_the_dashboard(
    technician_client, client_action_connection
):
    client_action_connection(uiUrl="https://ui.example.com/x")
    content = technician_client.get(reverse("home")).content.decode()
    assert "https://ui.example.com/x" not in content
