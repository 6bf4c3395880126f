"""Every URL, for every role and method: refused below its least role, served at or above.

The table is ``url_roles.MINIMUM_ROLE``; the URLs come from the URL configuration itself."""

import pytest

from psaportal.accounts import roles
from psaportal.records import registry
from tests.records.mirror_rows import mirror_samples
from tests.security.routes import ROUTES
from tests.security.url_roles import ANONYMOUS, LEVELS, MINIMUM_ROLE, minimum_role

pytestmark = pytest.mark.django_db


def test_every_url_is_in_the_table():
    unlisted = [route.name for route in ROUTES if route.name not in MINIMUM_ROLE]
    assert unlisted == [], "add these URL names to tests/security/url_roles.py MINIMUM_ROLE"


def test_the_table_names_no_url_that_is_gone():
    names = {route.name for route in ROUTES}
    assert [name for name in MINIMUM_ROLE if name not in names] == []
    assert set(MINIMUM_ROLE.values()) <= set(LEVELS)


def test_anonymous_visitor_is_sent_to_login_everywhere_else(
    answering_client, real_objects, make_member
):
    objects = real_objects(make_member(roles.TECHNICIAN))
    client = answering_client
    for route in ROUTES:
        path = objects.path(route)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            where = f"{method.upper()} {route.name} {path}"
            assert response.status_code != 500, where
            if minimum_role(route.name, method) == ANONYMOUS:
                assert response.status_code != 403, where
            else:
                assert response.status_code == 302, where
                assert response["Location"].startswith("/login/?next="), where


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_is_refused_below_and_served_at_or_above(
    answering_client, real_objects, make_member, role
):
    member = make_member(role)
    objects = real_objects(member)
    client = answering_client
    level = LEVELS.index(role)
    for route in ROUTES:
        path = objects.path(route)
        for method in ("get", "post"):
            allowed = LEVELS.index(minimum_role(route.name, method)) <= level
            client.force_login(member)  # a POST to logout ends the session
            response = getattr(client, method)(path)
            where = f"{role} {method.upper()} {route.name} {path}"
            assert response.status_code != 500, where
            if allowed:
                assert response.status_code != 403, where
            elif response.status_code == 405:
                # The URL takes that method from no one (its view never ran).
                assert method.upper() not in response["Allow"], where
            else:
                assert response.status_code == 403, where
                assert b"Not allowed" in response.content, where


@pytest.mark.parametrize("kind", [kind.key for kind in registry.record_kinds()])
def test_every_record_kind_is_open_to_technicians_only(
    answering_client, real_objects, make_member, psa_connection, kind
):
    technician = make_member(roles.TECHNICIAN)
    objects = real_objects(technician)
    mirror_samples(psa_connection, kind, 1)
    for route in [route for route in ROUTES if "kind" in route.arguments]:
        path = objects.path(route, kind=kind)
        answering_client.logout()
        for method in ("get", "post"):
            response = getattr(answering_client, method)(path)
            assert response.status_code == 302, f"anonymous {method} {path}"
        answering_client.force_login(technician)
        for method in ("get", "post"):
            response = getattr(answering_client, method)(path)
            assert response.status_code not in (403, 500), f"{method} {path}"


def test_django_admin_needs_its_own_login(client, make_member):
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(make_member(roles.ADMIN))  # a portal admin is not Django staff
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]
