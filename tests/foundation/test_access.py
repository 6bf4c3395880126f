"""Every page needs a session, and every role check holds on the server."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from psaportal.accounts import roles
from psaportal.accounts.context_processors import navigation

# Pages anyone may open without a session.
PUBLIC = {
    "login",
    "logout",
    "healthz",  # for load balancers: no secrets on it (test_healthz)
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
# The least role each page needs. Every named URL must be here or in PUBLIC.
PAGE_ROLES = {
    "home": roles.TECHNICIAN,
    "accounts:profile": roles.TECHNICIAN,  # the digest on it: managers (test_profile)
    "accounts:password_change": roles.TECHNICIAN,
    "accounts:password_change_done": roles.TECHNICIAN,
    "jobs:list": roles.TECHNICIAN,
    "jobs:detail": roles.TECHNICIAN,
    "jobs:try_now": roles.TECHNICIAN,
    "jobs:worker_check": roles.ADMIN,
    "jobs:requeue": roles.ADMIN,
    "jobs:mark_failed": roles.ADMIN,
    "accounts:user_list": roles.ADMIN,
    "accounts:user_create": roles.ADMIN,
    "accounts:user_edit": roles.ADMIN,
    "accounts:audit_log": roles.ADMIN,
    "connections:page": roles.ADMIN,
    "connections:connect": roles.ADMIN,
    "connections:check": roles.ADMIN,
    "records:list": roles.TECHNICIAN,
    "records:list_refresh": roles.TECHNICIAN,
    "records:export": roles.TECHNICIAN,
    "records:saved_view_create": roles.TECHNICIAN,
    "records:saved_view_delete": roles.TECHNICIAN,
    "records:detail": roles.TECHNICIAN,
    "records:detail_refresh": roles.TECHNICIAN,
    "records:edit": roles.TECHNICIAN,
    "records:changes": roles.TECHNICIAN,
    "records:ticket_create": roles.TECHNICIAN,
    "records:bulk_edit": roles.TECHNICIAN,
    "records:time_log": roles.TECHNICIAN,
    "records:ticket_notes": roles.TECHNICIAN,
    "records:notes_refresh": roles.TECHNICIAN,
    "records:note_add": roles.TECHNICIAN,
    "records:ticket_create_contacts": roles.TECHNICIAN,
    "records:change_retry": roles.TECHNICIAN,
    "records:change_apply_anyway": roles.TECHNICIAN,
    "records:change_discard": roles.TECHNICIAN,
    "records:row": roles.TECHNICIAN,
    "records:ticket_row_edit": roles.TECHNICIAN,
    "records:sync": roles.ADMIN,
    "records:sync_start": roles.ADMIN,
    "records:sync_review": roles.ADMIN,
    "actions:console": roles.ADMIN,
    "actions:search-start": roles.ADMIN,
    "actions:search": roles.ADMIN,
    "actions:runs": roles.ADMIN,
    "actions:run-detail": roles.ADMIN,
    "actions:run-output": roles.ADMIN,
    "actions:run-again": roles.ADMIN,
    "actions:run-download": roles.ADMIN,
    "actions:detail": roles.ADMIN,
    "actions:run": roles.ADMIN,
    "api_console:console": roles.ADMIN,
    "api_console:send": roles.ADMIN,
    "api_console:history": roles.ADMIN,
    "api_console:detail": roles.ADMIN,
    "api_console:response": roles.ADMIN,
    "api_console:follow": roles.ADMIN,
    "api_console:download": roles.ADMIN,
    "reports:dashboard": roles.MANAGER,
    "reports:report": roles.MANAGER,
    "reports:export": roles.MANAGER,
}
SAMPLE_VALUES = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "record_kind": "tickets",  # an unknown kind matches no URL at all (404 before the login)
    "path": "sample",
    "uuid": str(uuid.uuid4()),
}


def _route_to_path(route: str) -> str:
    while "<" in route:
        start, end = route.index("<"), route.index(">")
        converter = route[start + 1 : end].split(":")[0] if ":" in route[start:end] else "str"
        route = route[:start] + SAMPLE_VALUES.get(converter, "1") + route[end + 1 :]
    return route


def _pages(patterns=None, prefix="", namespace=""):
    """(url name, sample path) for every named route of the project, Django admin aside."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _pages(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", "/" + _route_to_path(prefix + str(entry.pattern))


ALL_PAGES = sorted(set(_pages()))


def test_every_page_is_classified():
    unlisted = [name for name, _ in ALL_PAGES if name not in PUBLIC and name not in PAGE_ROLES]
    assert unlisted == [], "add these URL names to PAGE_ROLES or PUBLIC"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), [p for p in ALL_PAGES if p[0] not in PUBLIC])
def test_anonymous_user_is_sent_to_login(client, name, path):
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path)
    assert response.status_code == 302, name
    assert response["Location"].startswith("/login/?next="), name


@pytest.mark.django_db
def test_django_admin_needs_its_own_login(client):
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_is_refused_above_its_level(client, make_member, role):
    client.force_login(make_member(role))
    level = roles.ROLES.index(role)
    for name, path in ALL_PAGES:
        if name in PUBLIC:
            continue
        response = client.get(path)
        if response.status_code == 405:
            response = client.post(path)
        if roles.ROLES.index(PAGE_ROLES[name]) > level:
            assert response.status_code == 403, f"{role} reached {name}"
            assert b"Not allowed" in response.content
        else:
            assert response.status_code != 403, f"{role} was refused {name}"


@pytest.mark.django_db
def test_anonymous_static_files_are_served(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_the_header_names_the_role(client, make_member, role):
    client.force_login(make_member(role))
    response = client.get(reverse("jobs:list"))
    assert f"({roles.ROLE_LABELS[role]})" in response.content.decode()


@pytest.mark.django_db
def test_the_role_held_is_the_highest_whose_permissions_are_all_there(make_member):
    member = make_member(roles.TECHNICIAN)
    assert roles.role_held(member) == roles.TECHNICIAN
    # The one permission a manager has beyond a technician's makes a manager.
    member.user_permissions.add(Permission.objects.get(codename="view_reports"))
    member = type(member).objects.get(pk=member.pk)  # permissions are cached per instance
    assert roles.role_held(member) == roles.MANAGER
    member.groups.clear()
    member = type(member).objects.get(pk=member.pk)
    assert roles.role_held(member) is None
    request = RequestFactory().get("/")
    request.user = member
    assert navigation(request)["user_role"] == "No role"


@pytest.mark.django_db
def test_the_navigation_asks_nothing_more_once_permissions_are_loaded(
    make_member, django_assert_num_queries
):
    member = make_member(roles.MANAGER)
    member = type(member).objects.get(pk=member.pk)
    request = RequestFactory().get("/")
    request.user = member
    member.has_perm(roles.VIEW_RECORDS)  # what a view's permission check does first
    with django_assert_num_queries(0):
        context = navigation(request)
    assert context["user_role"] == "Manager"
    assert context["can"]["reports"] and not context["can"]["users"]
