"""Sessions: a new one at login (no fixation), none left after logout. Redirects: `next`
never leads off the site."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.records.models import PendingChange
from tests.fixtures.users import PASSWORD
from tests.records.mirror_rows import ready_connection

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
]


def assert_on_site(location: str) -> None:
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert not any(ord(char) < 33 for char in location), location  # no tab or space tricks


def test_login_starts_a_new_session(client, make_member):
    make_member(roles.TECHNICIAN)
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key
    response = client.post(reverse("login"), {"username": "technician", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != planted.session_key
    assert not SessionStore().exists(planted.session_key)


def test_logout_ends_the_session_on_the_server(client, make_member):
    client.force_login(make_member(roles.TECHNICIAN))
    session_key = client.cookies["sessionid"].value
    assert client.get(reverse("logout")).status_code == 405  # a link cannot log anyone out
    assert client.post(reverse("logout")).status_code == 302
    assert not SessionStore().exists(session_key)
    client.cookies["sessionid"] = session_key  # replaying the old cookie gets nothing
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_never_leaves_the_site(client, make_member, target):
    make_member(roles.TECHNICIAN)
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": "technician", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert_on_site(response["Location"])
    # Already signed in: the login page sends them on, still not off the site.
    response = client.get(reverse("login"), {"next": target})
    assert response.status_code == 302
    assert_on_site(response["Location"])


def test_a_change_buttons_next_never_leaves_the_site(technician_client, technician):
    connection = ready_connection()
    change = PendingChange.objects.create(
        connection=connection, kind="tickets", psa_id=1, changes={}, seen={},
        status="failed", idempotency_key="next-1", author=technician,
    )  # fmt: skip
    url = reverse("records:change_discard", args=[change.pk])
    for target in OFF_SITE:
        response = technician_client.post(url, {"next": target})
        assert response.status_code == 302, target
        assert_on_site(response["Location"])
    response = technician_client.post(url, {"next": "/records/changes/?status=failed"})
    assert response["Location"] == "/records/changes/?status=failed"
