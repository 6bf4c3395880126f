"""Login throttling: per username and address (django-axes), and per address whatever the
usernames, so spraying one password over many usernames from one address is stopped."""

import pytest
from django.test import Client
from django.urls import reverse

from psaportal.accounts import roles
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every try hashes a password; the throttling does not depend on how slowly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def login(client, username, password, address):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_spraying_many_usernames_from_one_address_is_locked_out(settings, make_member):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    make_member(roles.TECHNICIAN, username="tess")
    client = Client()
    # Under the per-username limit for each name, but many names.
    for n in range(5):
        assert login(client, f"user{n}", "Winter2026!", ATTACKER).status_code == 200
    # The address's sixth failure locks it, as a username's fifth locks that username.
    assert login(client, "user5", "Winter2026!", ATTACKER).status_code == 429
    response = login(client, "tess", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
    # The lock is on that address only: the same member elsewhere gets in.
    elsewhere = Client()
    assert login(elsewhere, "tess", PASSWORD, OFFICE).status_code == 302


def test_a_few_typos_in_an_office_lock_nobody_out(settings, make_member):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    for name in ("ana", "bo", "cy"):
        make_member(roles.TECHNICIAN, username=name)
        login(Client(), name, "typo", OFFICE)
    assert login(Client(), "ana", PASSWORD, OFFICE).status_code == 302


def test_one_username_is_still_locked_at_its_own_lower_limit(settings, make_member):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 100
    make_member(roles.TECHNICIAN, username="tess")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "tess", "guess", ATTACKER)
    assert login(client, "tess", PASSWORD, ATTACKER).status_code == 429
