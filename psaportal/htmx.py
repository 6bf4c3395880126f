"""What every view asks of an HTMX request."""

from __future__ import annotations


def partial_wanted(request) -> bool:
    """An HTMX request for a fragment; a history restore wants the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request
