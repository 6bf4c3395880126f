"""The three team roles, as Django groups holding permissions. Each role includes the
one below it: technician < manager < admin."""

from django.contrib.auth.models import Group, Permission

TECHNICIAN = "technician"
MANAGER = "manager"
ADMIN = "admin"
ROLES = [TECHNICIAN, MANAGER, ADMIN]
ROLE_LABELS = {TECHNICIAN: "Technician", MANAGER: "Manager", ADMIN: "Admin"}

VIEW_RECORDS = "accounts.view_records"
EDIT_RECORDS = "accounts.edit_records"
VIEW_REPORTS = "accounts.view_reports"
MANAGE_CONNECTION = "accounts.manage_connection"
USE_CONSOLES = "accounts.use_consoles"
MANAGE_USERS = "accounts.manage_users"

ROLE_PERMISSIONS = {
    TECHNICIAN: [VIEW_RECORDS, EDIT_RECORDS],
    MANAGER: [VIEW_RECORDS, EDIT_RECORDS, VIEW_REPORTS],
    ADMIN: [
        VIEW_RECORDS,
        EDIT_RECORDS,
        VIEW_REPORTS,
        MANAGE_CONNECTION,
        USE_CONSOLES,
        MANAGE_USERS,
    ],
}


def ensure_role_groups(**kwargs):
    """Create or repair the role groups; safe to run after every migrate."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [perm.split(".", 1)[1] for perm in perms]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )


def role_of(user) -> str | None:
    """The user's role: the highest role group they are in."""
    names = set(user.groups.values_list("name", flat=True))
    for role in reversed(ROLES):
        if role in names:
            return role
    return None


def role_held(user) -> str | None:
    """The highest role whose every permission the user holds. The same as role_of for
    anyone whose permissions come from their role group, but read from the permissions a
    request has already loaded for its checks, so showing it costs no query."""
    for role in reversed(ROLES):
        if user.has_perms(ROLE_PERMISSIONS[role]):
            return role
    return None


def set_role(user, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Unknown role: {role}")
    ensure_role_groups()
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get(name=role))
