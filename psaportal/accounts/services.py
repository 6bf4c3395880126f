"""Team member management: every change is audited."""

from django.contrib.auth import get_user_model
from django.db import transaction

from psaportal.accounts import roles
from psaportal.accounts.audit import record_audit
from psaportal.accounts.models import Profile

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


def profile_get(*, user) -> Profile:
    """The user's profile; an unsaved one with the defaults if they never saved theirs."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


@transaction.atomic
def profile_update(*, user, weekly_digest: bool) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    if profile.weekly_digest != weekly_digest:
        profile.weekly_digest = weekly_digest
        profile.save(update_fields=["weekly_digest"])
        record_audit(
            user=user,
            action="user.profile_update",
            target_type="user",
            target_id=user.pk,
            summary=f"Weekly digest {'on' if weekly_digest else 'off'}",
        )
    return profile
