"""A paginator that never counts a huge result set in full.

It counts with a LIMIT cap (enough to reach the requested page), so a list over 100,000
rows costs one bounded count, and clamps a page number past the end to the last page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

COUNT_CAP = 1_000


@dataclass
class ListPage:
    rows: list
    number: int
    page_size: int
    count: int
    count_is_capped: bool
    clamped_from: int | None = None
    page_links: list[int | None] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.count_is_capped or self.number < self.num_pages

    @property
    def start_index(self) -> int:
        return 0 if not self.rows else (self.number - 1) * self.page_size + 1

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.rows)


def _page_links(*, number: int, num_pages: int, capped: bool) -> list[int | None]:
    """Page numbers to offer: first, last, and a window around the current one (None = gap)."""
    wanted = {1, number - 2, number - 1, number, number + 1, number + 2}
    if capped:
        wanted.add(number + 1)
    else:
        wanted.add(num_pages)
    last = num_pages if not capped else max(num_pages, number + 1)
    pages = sorted(p for p in wanted if 1 <= p <= last)
    links: list[int | None] = []
    for page in pages:
        if links and page - links[-1] > 1:
            links.append(None)
        links.append(page)
    return links


def paginate(*, queryset, page: int, page_size: int, cap: int = COUNT_CAP) -> ListPage:
    """One page of `queryset` (already ordered), with a count capped at `cap` rows."""
    page = max(1, page)
    offset = (page - 1) * page_size
    rows = list(queryset[offset : offset + page_size])
    if len(rows) < page_size and (rows or offset == 0):
        count, capped = offset + len(rows), False
    else:
        limit = max(cap, offset + page_size + 1)
        count = queryset.order_by()[:limit].count()
        capped = count >= limit
    clamped_from = None
    if not rows and offset and offset >= count:
        clamped_from = page
        page = max(1, math.ceil(count / page_size))
        offset = (page - 1) * page_size
        rows = list(queryset[offset : offset + page_size]) if count else []
    result = ListPage(
        rows=rows,
        number=page,
        page_size=page_size,
        count=count,
        count_is_capped=capped,
        clamped_from=clamped_from,
    )
    result.page_links = _page_links(number=page, num_pages=result.num_pages, capped=capped)
    return result
