import functools

from psaportal.connections import selectors


def connection_status(request):
    """The PSA connection for the dashboard summary, and the banner when it stopped working."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    on_wizard = match is not None and match.namespace == "connections"
    return {
        "psa_connection": functools.partial(selectors.connection_of_request, request),
        "connection_banner": None if on_wizard else selectors.connection_banner(request=request),
    }
