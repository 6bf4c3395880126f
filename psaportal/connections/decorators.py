"""View decorators for pages that need the PSA connection."""

from __future__ import annotations

import functools

from django.shortcuts import render

from psaportal.connections.selectors import connection_ready_of_request


def require_connection(view):
    """Call ``view`` with ``connection=`` the READY connection; without one, answer with the
    "connect first" page instead (status 200: it is a page to read, not an error)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        connection = connection_ready_of_request(request)
        if connection is None:
            return render(request, "connections/not_connected.html")
        return view(request, *args, connection=connection, **kwargs)

    return wrapper
