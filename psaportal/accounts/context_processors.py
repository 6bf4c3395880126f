from psaportal import site_urls
from psaportal.accounts import roles


def navigation(request):
    """What the navigation shows; the views check the same permissions on the server."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_urls": site_urls.frame_urls()}
    return {
        "site_urls": site_urls.frame_urls(),
        "can": {
            "records": user.has_perm(roles.VIEW_RECORDS),
            "edit": user.has_perm(roles.EDIT_RECORDS),
            "reports": user.has_perm(roles.VIEW_REPORTS),
            "connection": user.has_perm(roles.MANAGE_CONNECTION),
            "consoles": user.has_perm(roles.USE_CONSOLES),
            "users": user.has_perm(roles.MANAGE_USERS),
        },
        "user_role": "Superuser"
        if user.is_superuser
        else roles.ROLE_LABELS.get(roles.role_held(user), "No role"),
    }
