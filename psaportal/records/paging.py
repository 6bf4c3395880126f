"""A paginator that never counts a huge result set in full.

It counts with a LIMIT cap (enough to reach the requested page), so a list over 100,000
rows costs one bounded count, and clamps a page number past the end to the last page.

Unless the planner expects matches dense enough to fill the page soon by walking a sort
index, it counts first, reading the matching ids in order (at most ``SMALL_RESULT`` of
them): that read takes the filter and search indexes (the search's GIN index on
PostgreSQL) and sorts what it finds rather than walk the sort order. A small result's
page is then its slice of those ids, so a rare term or filter never walks an index of a
million rows hoping to meet its matches (the planner guesses 1 row in 200 for a word it
has no statistics for, even one that matches nothing).

A search with many matches is counted in its sample first, when it has one
(``search.count_sample``, a small index of one record in so many): reaching the cap
within the sample proves the whole search reaches it, without reading every entry the
main index holds for a common word. Short of the cap there, the whole search is counted.

The planner's guesses are kept for a minute per query (its SQL and parameters): they only
steer the choice between counting first and walking the sort order, never what a page shows,
and the same filters and search come back page after page.

Given the kind's mirror generation (``records.generations``, bumped by every write to the
mirror), what the count found (the matching ids in order, or the capped count) is kept
under the query and that generation: the next page of the same search, or the same filter
sorted another way, skips the count, and a write to the mirror shows at once (its new
generation misses the cache). The rows themselves are always read afresh.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connections

from psaportal.records import search

COUNT_CAP = 1_000
#: The most ids the count-first read fetches; up to this many matches are sorted whole.
SMALL_RESULT = 5_000
#: The sample is counted first when the planner expects it to hold this many times the
#: cap: its guesses at common words are close, and a miss costs one more small count.
SAMPLE_MARGIN = 2
#: The planner's guesses (a query's matches, a table's size) are kept this long.
ESTIMATE_SECONDS = 60
#: What a count found is kept this long under its mirror generation (never stale: a write
#: changes the generation); the bound only frees the memory of searches not asked again.
MATCHES_SECONDS = 300


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


def _query_key(prefix: str, queryset, *extra, name: str | None = None) -> str:
    """A cache key for ``queryset`` (and ``extra``): under the ``name`` its caller gives its
    matches, which spares compiling it; else under its SQL and parameters."""
    identity = name if name is not None else queryset.query.sql_with_params()
    digest = hashlib.sha256(repr((identity, extra)).encode()).hexdigest()
    return f"records:{prefix}:{queryset.db}:{digest}"


def _cached(key: str | None, seconds: int, work):
    """``work()``, kept under ``key`` for ``seconds``; not kept without a key."""
    if key is None:
        return work()
    found = cache.get(key)
    if found is None:
        found = work()
        cache.set(key, found, seconds)
    return found


def estimated_matches(queryset, *, name: str | None = None) -> int | None:
    """The planner's guess at how many rows ``queryset`` matches (PostgreSQL only), cached
    for ESTIMATE_SECONDS under its SQL and parameters, or its ``name`` (see paginate)."""
    database = connections[queryset.db]
    if database.vendor != "postgresql":
        return None
    matching = queryset.order_by().values("pk")

    def plan_rows() -> int:
        sql, params = matching.query.sql_with_params()
        with database.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return plan[0]["Plan"]["Plan Rows"]

    return _cached(_query_key("estimate", matching, name=name), ESTIMATE_SECONDS, plan_rows)


def _walk_reads_more(*, queryset, matches: int | None, rows_wanted: int, small: int) -> bool:
    """Whether sorting every match (about M rows read, the planner's guess ``matches``)
    costs more than walking a sort index until the page is full (about
    rows_wanted * table / M rows, the matches spread evenly). The planner's guess at M
    errs high for words it has no statistics for, so a word matching nothing is still
    read whole: through its index, with nothing to read."""
    if matches is None or matches <= 1:
        return False
    if matches > small:
        return True
    return matches * matches > rows_wanted * _table_estimate(queryset)


def _table_estimate(queryset) -> int:
    """The planner's guess at the size of ``queryset``'s table."""
    return estimated_matches(queryset.model._default_manager.using(queryset.db).all())


def _count_up_to(*, queryset, limit: int, sample, expected: int | None) -> int:
    """How many rows ``queryset`` matches, counting no further than ``limit``; in its
    ``sample`` (a condition, or None) first when about SAMPLE_MARGIN * limit are expected
    there."""
    # Only the ids are counted: the page's columns need not be read for each match.
    matching = queryset.order_by().values("pk")
    if sample is not None and expected is not None:
        if expected >= SAMPLE_MARGIN * limit * search.SAMPLE_EVERY:
            # A subset: its count reaching the limit is the whole search's count reaching it.
            if matching.filter(sample)[:limit].count() >= limit:
                return limit
    return matching[:limit].count()


def paginate(
    *,
    queryset,
    page: int,
    page_size: int,
    cap: int = COUNT_CAP,
    small: int = SMALL_RESULT,
    sample=None,
    mirror_generation: int | None = None,
    name: str | None = None,
) -> ListPage:
    """One page of `queryset` (already ordered), with a count capped at `cap` rows.
    ``sample``: the condition of the search's sample (``search.count_sample``), or None.
    ``mirror_generation``: the generation of the queryset's kind, read before this call;
    what the count finds is cached under it (None: not cached). ``name``: a text naming
    the queryset's matches (its filters and search, not its order), to key its caches by
    instead of its SQL."""

    def key(prefix: str, query, *extra) -> str | None:
        if mirror_generation is None:
            return None
        return _query_key(prefix, query, mirror_generation, *extra, name=name)

    page = max(1, page)
    offset = (page - 1) * page_size
    limit = max(cap, offset + page_size + 1)
    ids = None
    expected = estimated_matches(queryset, name=name)
    rows_wanted = offset + page_size
    if not _walk_reads_more(
        queryset=queryset, matches=expected, rows_wanted=rows_wanted, small=small
    ):
        # Count first, in the page's order: asked for more rows than it expects, the
        # planner sorts the matches it finds through the indexes, never walks the order.
        first_ids = queryset.values_list("pk", flat=True)[: small + 1]
        ids = _cached(
            key("ids", first_ids, tuple(queryset.query.order_by), small),
            MATCHES_SECONDS,
            lambda: list(first_ids),
        )
    few = ids is not None and len(ids) <= small
    if few:
        matches = len(ids)
    elif ids is not None and limit <= small:
        matches = limit  # more than `small` match
    else:
        matches = _cached(
            key("count", queryset.order_by().values("pk"), limit),
            MATCHES_SECONDS,
            lambda: _count_up_to(queryset=queryset, limit=limit, sample=sample, expected=expected),
        )
    count, capped = min(matches, limit), matches >= limit
    clamped_from = None
    if offset and offset >= count:
        clamped_from = page
        page = max(1, math.ceil(count / page_size))
        offset = (page - 1) * page_size
    if not count:
        rows = []
    elif few:
        rows = list(queryset.filter(pk__in=ids[offset : offset + page_size]))
    else:
        rows = list(queryset[offset : offset + page_size])
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
