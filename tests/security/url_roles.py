"""The one table of who may open what: every named URL of the project and the least role it
needs. ``test_url_roles.py`` walks the URL configuration and fails on any URL missing here, so
a new view cannot be forgotten; the matrix there checks each one for each role and method."""

from psaportal.accounts import roles

ANONYMOUS = "anonymous"
# From the least to the most trusted; each level may do what the ones before it may.
LEVELS = [ANONYMOUS, roles.TECHNICIAN, roles.MANAGER, roles.ADMIN]

MINIMUM_ROLE = {
    # Signing in and out, and getting back in without a password.
    "login": ANONYMOUS,
    "logout": ANONYMOUS,
    "accounts:password_reset": ANONYMOUS,
    "accounts:password_reset_done": ANONYMOUS,
    "accounts:password_reset_confirm": ANONYMOUS,
    "accounts:password_reset_complete": ANONYMOUS,
    # For load balancers: no session, no secrets on it (tests/foundation/test_healthz.py).
    "healthz": ANONYMOUS,
    # Everyone on the team.
    "home": roles.TECHNICIAN,
    "accounts:profile": roles.TECHNICIAN,  # saving the digest on it: see POST_MINIMUM_ROLE
    "accounts:password_change": roles.TECHNICIAN,
    "accounts:password_change_done": roles.TECHNICIAN,
    "jobs:list": roles.TECHNICIAN,
    "jobs:detail": roles.TECHNICIAN,
    "jobs:try_now": roles.TECHNICIAN,
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
    # Managers: reports.
    "reports:dashboard": roles.MANAGER,
    "reports:report": roles.MANAGER,
    "reports:export": roles.MANAGER,
    # Admins: the connection, sync, consoles, users.
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
}

# Where saving needs more than seeing: the least role for a POST.
POST_MINIMUM_ROLE = {
    "accounts:profile": roles.MANAGER,  # the weekly digest is for managers and admins
}


def minimum_role(name: str, method: str) -> str:
    if method.upper() == "POST" and name in POST_MINIMUM_ROLE:
        return POST_MINIMUM_ROLE[name]
    return MINIMUM_ROLE[name]
