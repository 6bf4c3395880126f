"""What a record list shows, as it travels in the URL: search, filters, sort, page.

`forms.ListQueryForm` builds a clean `ListState` from a query string; the selectors read
the mirror for one; links, saved views and the CSV export write it back with `to_query`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from psaportal import site_urls

SEARCH_MAX = 200
TEXT_FILTER_MAX = 100
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
PAGE_MAX = 1_000_000


@dataclass(frozen=True)
class ListState:
    """Everything a list shows, as it travels in the URL."""

    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)  # URL parameter -> clean value
    sort: str = ""  # a sortable column, "-" first for descending; "" = the kind's default
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def to_query(self, **changes) -> str:
        """The URL query string for this state; `page`, `sort`, `page_size` may be changed."""
        state = replace(self, **changes) if changes else self
        params: list[tuple[str, str]] = []
        if state.q:
            params.append(("q", state.q))
        params.extend(state.filters.items())
        if state.sort:
            params.append(("sort", state.sort))
        if state.page_size != DEFAULT_PAGE_SIZE:
            params.append(("page_size", str(state.page_size)))
        if state.page > 1:
            params.append(("page", str(state.page)))
        return urlencode(params)

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.filters)


def list_url(*, kind_key: str, state: ListState | None = None) -> str:
    """The list page's URL, with ``state``'s query string when it has one."""
    url = site_urls.record_list_url(kind_key)
    query = state.to_query() if state is not None else ""
    return f"{url}?{query}" if query else url
