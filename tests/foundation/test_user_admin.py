import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.accounts.models import AuditEntry
from tests.fixtures.users import PASSWORD

User = get_user_model()


@pytest.mark.django_db
def test_admin_creates_a_member_with_a_role_and_it_is_audited(admin_client, admin):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "newtech",
            "email": "new@example.com",
            "first_name": "New",
            "last_name": "Tech",
            "role": roles.MANAGER,
            "password": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    member = User.objects.get(username="newtech")
    assert roles.role_of(member) == roles.MANAGER
    assert member.check_password("a-long-enough-passphrase")
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.user == admin
    assert entry.target_id == str(member.pk)
    assert entry.after["role"] == roles.MANAGER
    assert "password" not in str(entry.after)


@pytest.mark.django_db
def test_bad_input_keeps_what_was_typed(admin_client):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "admin",
            "email": "not-an-email",
            "role": "wizard",
            "password": "123",
            "first_name": "Kept",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "That username is taken." in content
    assert "Enter a valid email address." in content
    assert "Select a valid choice." in content
    assert 'value="Kept"' in content
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_deactivating_and_changing_role_records_before_and_after(admin_client, technician):
    response = admin_client.post(
        reverse("accounts:user_edit", args=[technician.pk]),
        {
            "email": "technician@example.com",
            "role": roles.MANAGER,
            "is_active": "",
        },
    )
    assert response.status_code == 302
    technician.refresh_from_db()
    assert not technician.is_active
    entry = AuditEntry.objects.get(action="user.update")
    assert entry.before["role"] == roles.TECHNICIAN and entry.before["is_active"] is True
    assert entry.after["role"] == roles.MANAGER and entry.after["is_active"] is False


@pytest.mark.django_db
def test_admin_cannot_lock_themselves_out(admin_client, admin):
    response = admin_client.post(
        reverse("accounts:user_edit", args=[admin.pk]),
        {
            "email": "",
            "role": roles.TECHNICIAN,
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert b"cannot deactivate yourself" in response.content
    assert roles.role_of(admin) == roles.ADMIN


@pytest.mark.django_db
def test_unknown_member_is_a_404_page(admin_client):
    response = admin_client.get(reverse("accounts:user_edit", args=[999]))
    assert response.status_code == 404
    assert b"There is nothing at this address." in response.content


@pytest.mark.django_db
def test_password_change_is_audited(technician_client, technician):
    response = technician_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase-7",
            "new_password2": "another-long-phrase-7",
        },
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="user.password_change", user=technician).exists()
