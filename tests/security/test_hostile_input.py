"""Hostile payloads through every form field, filter and query parameter of every URL:
never a server error, never echoed as markup."""

import pytest

from psaportal.accounts import roles
from tests.security.hostile import (
    DIRECT_PARAMETERS,
    PAYLOADS,
    assert_safe,
    form_field_names,
    list_parameters,
)
from tests.security.routes import ROUTES

pytestmark = pytest.mark.django_db

SKIPPED = {"logout"}  # ends the session; it reads no input


@pytest.fixture
def admin_setup(answering_client, real_objects, make_member):
    """An admin (who may open every URL), real objects, and every parameter name in use."""
    admin = make_member(roles.ADMIN)
    objects = real_objects(admin)
    answering_client.force_login(admin)
    names = DIRECT_PARAMETERS | list_parameters()
    for route in ROUTES:
        response = answering_client.get(objects.path(route))
        if "html" in response.get("Content-Type", ""):
            names |= form_field_names(response.content.decode())
    return admin, objects, sorted(names)


def test_the_forms_were_found(admin_setup):
    _, _, names = admin_setup
    # A few fields of forms across the portal: if these are missing the walk saw no forms.
    assert {"summary", "username", "intent", "path", "name", "q", "status"} <= set(names)


@pytest.mark.parametrize("payload_name", PAYLOADS)
def test_hostile_payloads_through_every_parameter(answering_client, admin_setup, payload_name):
    admin, objects, names = admin_setup
    payload = PAYLOADS[payload_name]
    data = dict.fromkeys(names, payload)
    # Plain form posts for some payloads, HTMX ones for the others: both paths get each kind.
    headers = {"HX-Request": "true"} if list(PAYLOADS).index(payload_name) % 2 else {}
    for route in ROUTES:
        if route.name in SKIPPED:
            continue
        path = objects.path(route)
        answering_client.force_login(admin)
        assert_safe(answering_client.get(path, data), f"GET {route.name} {payload_name}")
        response = answering_client.post(path, data, headers=headers)
        assert_safe(response, f"POST {route.name} {payload_name} {headers}")


def test_bytes_that_are_not_utf8_in_the_query(answering_client, admin_setup):
    admin, objects, _ = admin_setup
    for route in ROUTES:
        path = objects.path(route)
        response = answering_client.get(f"{path}?q=%ff%fe&status=%c0%af&page=%00")
        assert_safe(response, f"GET {route.name} bad bytes")


@pytest.mark.parametrize("segment", ["<script>alert(1)</script>", "%00", "..%2f..%2fetc"])
def test_hostile_url_paths_are_not_found_and_not_echoed(admin_client, segment):
    for prefix in ("/records/", "/records/tickets/", "/reports/", "/jobs/"):
        response = admin_client.get(prefix + segment + "/")
        assert response.status_code == 404
        assert "<script>alert(1)" not in response.content.decode()
