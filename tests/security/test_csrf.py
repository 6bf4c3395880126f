"""CSRF holds on every URL that takes a POST, for plain forms and HTMX requests alike."""

import pytest
from django.test import Client

from psaportal.accounts import roles
from tests.security.routes import ROUTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def test_every_post_needs_the_token_htmx_or_not(csrf_client, real_objects, make_member):
    admin = make_member(roles.ADMIN)
    objects = real_objects(admin)
    csrf_client.force_login(admin)
    page = csrf_client.get("/")  # the page that sets the CSRF cookie, as a browser loads it
    token = csrf_client.cookies["csrftoken"].value
    # htmx sends the page's token with every request it makes (base.html).
    assert b'<body hx-headers=\'{"X-CSRFToken": "' in page.content
    htmx = {"HX-Request": "true"}
    posted = []
    for route in ROUTES:
        path = objects.path(route)
        csrf_client.force_login(admin)
        without = [csrf_client.post(path), csrf_client.post(path, headers=htmx)]
        # As htmx sends it (base.html's hx-headers): the token in a header.
        with_token = csrf_client.post(path, headers={**htmx, "X-CSRFToken": token})
        if with_token.status_code == 405:
            continue  # takes no POST from anyone
        posted.append(route.name)
        assert with_token.status_code not in (403, 500), route.name
        for response in without:
            assert response.status_code == 403, route.name
            assert "CSRF" in response.content.decode(), route.name
    # Every form and button of the portal is among them; a handful would mean a broken walk.
    assert {"login", "logout", "records:edit", "api_console:send", "accounts:user_edit"} <= set(
        posted
    )
    assert len(posted) > 25


def test_a_token_from_another_session_is_refused(csrf_client, make_member):
    other = Client(enforce_csrf_checks=True)
    other.get("/login/")
    stolen = other.cookies["csrftoken"].value
    technician = make_member(roles.TECHNICIAN)
    csrf_client.force_login(technician)
    csrf_client.get("/")
    response = csrf_client.post(
        "/records/tickets/views/", {"name": "x"}, headers={"X-CSRFToken": stolen}
    )
    assert response.status_code == 403
