"""Walk Membrane's cursor-paged lists (``{"items": [...], "cursor": "..."}``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .errors import MalformedResponseError


def iter_cursor_items(
    fetch_page: Callable[[dict[str, Any]], Any], params: dict[str, Any] | None = None
) -> Iterator[dict]:
    """Yield every item, calling ``fetch_page(params)`` for each page while a cursor comes back."""
    params = dict(params or {})
    seen_cursors: set[str] = set()
    while True:
        page = fetch_page(params)
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise MalformedResponseError(
                "Membrane sent a list answer without an 'items' array.", data=page
            )
        yield from page["items"]
        cursor = page.get("cursor")
        if not cursor:  # no cursor is the only sign of the last page; an empty page may go on
            return
        if cursor in seen_cursors:
            raise MalformedResponseError(
                "Membrane sent the same list cursor twice; stopping to avoid a loop.", data=page
            )
        seen_cursors.add(cursor)
        params["cursor"] = cursor
