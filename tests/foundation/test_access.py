"""Roles: what the header says, how a role is read from permissions, static files for all."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.accounts.context_processors import navigation

# Who may open which URL, for every URL and method: tests/security/test_url_roles.py.


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


@pytest.mark.django_db
def test_permissions_are_read_in_one_query_with_djangos_answers(
    make_member, django_assert_num_queries
):
    from django.contrib.auth.backends import ModelBackend

    from psaportal.accounts.backends import PermissionsBackend

    member = make_member(roles.TECHNICIAN)  # from the role's group
    member.user_permissions.add(Permission.objects.get(codename="view_reports"))  # its own
    member = type(member).objects.get(pk=member.pk)
    with django_assert_num_queries(1):
        assert member.has_perm(roles.VIEW_REPORTS) and member.has_perm(roles.EDIT_RECORDS)
        assert not member.has_perm(roles.MANAGE_USERS)
    fresh = type(member).objects.get(pk=member.pk)
    assert PermissionsBackend().get_all_permissions(fresh) == ModelBackend().get_all_permissions(
        type(member).objects.get(pk=member.pk)
    )
    assert {roles.VIEW_REPORTS, roles.EDIT_RECORDS} <= fresh.get_all_permissions()
    # Inactive: none; superuser: every one.
    inactive = type(member)(username="gone", is_active=False)
    assert PermissionsBackend().get_all_permissions(inactive) == set()
    boss = type(member).objects.create(username="boss", is_superuser=True)
    assert roles.MANAGE_USERS in PermissionsBackend().get_all_permissions(boss)
    assert len(PermissionsBackend().get_all_permissions(boss)) == Permission.objects.count()
