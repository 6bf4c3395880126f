"""Team member management: every change is audited."""

from django.contrib.auth import get_user_model
from django.db import transaction

from psaportal.accounts import roles
from psaportal.accounts.audit import record_audit

User = get_user_model()


def _snapshot(user) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "name": user.get_full_name(),
        "role": roles.role_of(user),
        "is_active": user.is_active,
    }


@transaction.atomic
def user_create(
    *, actor, username: str, email: str, first_name: str, last_name: str, role: str, password: str
):
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()
    roles.set_role(user, role)
    record_audit(
        user=actor,
        action="user.create",
        target_type="user",
        target_id=user.pk,
        summary=f"Created {username} as {role}",
        after=_snapshot(user),
    )
    return user


@transaction.atomic
def user_update(
    *, actor, user, email: str, first_name: str, last_name: str, role: str, is_active: bool
):
    if user == actor and (not is_active or role != roles.ADMIN):
        raise ValueError("You cannot deactivate yourself or remove your own admin role.")
    before = _snapshot(user)
    user.email, user.first_name, user.last_name = email, first_name, last_name
    user.is_active = is_active
    user.save()
    roles.set_role(user, role)
    after = _snapshot(user)
    if before != after:
        record_audit(
            user=actor,
            action="user.update",
            target_type="user",
            target_id=user.pk,
            summary=f"Updated {user.username}",
            before=before,
            after=after,
        )
    return user
