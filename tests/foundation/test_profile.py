"""A user's own profile page: managers and admins turn the weekly digest on or off there."""

import re

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry, Profile

pytestmark = pytest.mark.django_db

URL = reverse("accounts:profile")


def test_it_turns_the_weekly_digest_on_and_off(client_for, manager):
    client = client_for(manager)
    assert b'name="weekly_digest"' in client.get(URL).content
    response = client.post(URL, {"weekly_digest": "on"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert Profile.objects.get(user=manager).weekly_digest
    assert re.search(rb"<input[^>]*name=\"weekly_digest\"[^>]*checked", response.content)
    client.post(URL, {})
    assert not Profile.objects.get(user=manager).weekly_digest
    assert [entry.summary for entry in AuditEntry.objects.order_by("id")] == [
        "Weekly digest on",
        "Weekly digest off",
    ]


def test_admins_can_have_the_digest_too(admin_client, admin):
    admin_client.post(URL, {"weekly_digest": "on"})
    assert Profile.objects.get(user=admin).weekly_digest


def test_technicians_see_their_profile_but_no_digest(technician_client, technician):
    response = technician_client.get(URL)
    assert response.status_code == 200
    assert b"technician@example.com" in response.content
    assert b"weekly_digest" not in response.content
    assert technician_client.post(URL, {"weekly_digest": "on"}).status_code == 403
    assert not Profile.objects.filter(user=technician).exists()


def test_it_answers_only_get_and_post(technician_client):
    assert technician_client.put(URL).status_code == 405


def test_the_menu_links_it(technician_client):
    assert f'href="{URL}"'.encode() in technician_client.get(reverse("home")).content
