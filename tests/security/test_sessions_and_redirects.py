"""Sessions: a new one at login (no fixation), none left after logout. Redirects: `next`
never leads off the site."""

import os
from importlib import import_module

import pytest
from django.conf import settings as django_settings
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


@pytest.fixture(params=["db", "cached_db"])
def session_store(request, settings):
    """Sessions in the database, and (with Redis) read through a Redis cache
    (SESSION_REDIS_URL): both must end a session for good."""
    if request.param == "cached_db":
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            pytest.skip("needs Redis (REDIS_URL)")
        settings.CACHES = {
            **django_settings.CACHES,
            "sessions": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"test-sessions-{os.getpid()}",
            },
        }
        settings.SESSION_CACHE_ALIAS = "sessions"
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    return import_module(settings.SESSION_ENGINE).SessionStore


def test_login_starts_a_new_session(client, make_member, session_store):
    make_member(roles.TECHNICIAN)
    planted = session_store()
    planted["planted"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key
    response = client.post(reverse("login"), {"username": "technician", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != planted.session_key
    assert not session_store().exists(planted.session_key)


def test_logout_ends_the_session_on_the_server(client, make_member, session_store):
    client.force_login(make_member(roles.TECHNICIAN))
    session_key = client.cookies["sessionid"].value
    assert client.get(reverse("logout")).status_code == 405  # a link cannot log anyone out
    assert client.post(reverse("logout")).status_code == 302
    assert not session_store().exists(session_key)
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
