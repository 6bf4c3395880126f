"""The read side of records: what the list page, the detail page and the CSV export read.

Everything comes from our own tables (the mirror, the sync watermarks, saved views); nothing
here talks to Membrane or changes a row. Views call these functions and render what they
return; ``display.py`` turns the values into text.

- List page: ``record_list_context`` (built on ``record_list_page``, ``filter_options``,
  ``filter_suggestions``, ``sync_status`` and ``saved_view_list``).
- CSV export: ``record_list``, the same query without paging.
- Detail page: ``record_detail_context`` (the record, its document's fields grouped by the
  registry, ``related_groups``).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connections as db_connections
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from psaportal.jobs import selectors as job_selectors
from psaportal.jobs.models import Job
from psaportal.records import registry, search
from psaportal.records.changes import rows as change_rows
from psaportal.records.display import (
    field_label,
    header_cells,
    options_html,
    table_rows,
    value_at,
)
from psaportal.records.list_state import PAGE_SIZES, SEARCH_MAX, ListState, list_url
from psaportal.records.models import (
    Member,
    PendingChange,
    Priority,
    RecordDocument,
    SavedView,
    SyncRun,
    SyncState,
    Ticket,
    TimeEntry,
)
from psaportal.records.paging import ListPage, paginate

OPTIONS_MAX = 500
OPTIONS_CACHE_SECONDS = 120
#: While a kind's first sync fills the mirror its choices grow by the second: keep them
#: only briefly.
FILLING_OPTIONS_CACHE_SECONDS = 5
OPEN_CLOSED_OPTIONS = (("open", "Open"), ("closed", "Closed"))
BOOL_OPTIONS = (("yes", "Yes"), ("no", "No"))
RELATED_ROWS = 10
RELATED_COLUMNS = 6


# -- Filter choices ----------------------------------------------------------------------


def filter_options(
    *, connection, kind: registry.RecordKind, item: registry.Filter
) -> list[tuple[str, str]] | None:
    """(value, label) pairs a filter offers; None for a free-text or date filter."""
    if item.kind == registry.OPEN_CLOSED:
        return list(OPEN_CLOSED_OPTIONS)
    if item.kind == registry.BOOL:
        return list(BOOL_OPTIONS)
    if item.kind == registry.CHOICE:
        values = _distinct_values(connection=connection, kind=kind, item=item)
        return [(value, value) for value in values]
    return None


def filter_suggestions(*, connection, kind: registry.RecordKind, item: registry.Filter):
    """Values a free-text filter is likely to be given (offered as a datalist)."""
    return _distinct_values(connection=connection, kind=kind, item=item)


def _distinct_values(*, connection, kind: registry.RecordKind, item: registry.Filter):
    """Distinct non-blank values of the filter's column (or its lookup's names), cached."""
    cache_key = f"records:options:{connection.pk}:{kind.key}:{item.name}"
    values = cache.get(cache_key)
    if values is not None:
        return values
    values = []
    lookup_kind = registry.get_kind(item.lookup) if item.lookup else None
    if lookup_kind is not None:
        names = lookup_kind.model.objects.filter(connection=connection).exclude(name="")
        values = sorted(set(names.values_list("name", flat=True)[: OPTIONS_MAX * 4]))
    if not values:
        values = list(
            kind.model.objects.filter(connection=connection)
            .exclude(**{item.field: ""})
            .order_by(item.field)
            .values_list(item.field, flat=True)
            .distinct()[:OPTIONS_MAX]
        )
    filling = sync_status(connection=connection, kind=kind).under_way
    seconds = FILLING_OPTIONS_CACHE_SECONDS if filling and filling.first else OPTIONS_CACHE_SECONDS
    cache.set(cache_key, values, seconds)
    return values


# -- The list query ----------------------------------------------------------------------


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _date_range_q(*, kind: registry.RecordKind, item: registry.Filter, state: ListState) -> Q:
    """A day range on a date or datetime column; both ends included."""
    is_datetime = kind.model._meta.get_field(item.field).get_internal_type() == "DateTimeField"
    condition = Q()
    start_param, end_param = item.params
    start, end = state.filters.get(start_param), state.filters.get(end_param)
    if start:
        day = datetime.date.fromisoformat(start)
        condition &= Q(**{f"{item.field}__gte": _start_of_day(day) if is_datetime else day})
    if end:
        day = datetime.date.fromisoformat(end)
        if is_datetime:
            next_day = _start_of_day(day) + datetime.timedelta(days=1)
            condition &= Q(**{f"{item.field}__lt": next_day})
        else:
            condition &= Q(**{f"{item.field}__lte": day})
    return condition


def _filter_q(*, kind: registry.RecordKind, state: ListState) -> Q:
    condition = Q()
    for item in kind.filters:
        if item.kind == registry.DATE_RANGE:
            condition &= _date_range_q(kind=kind, item=item, state=state)
            continue
        value = state.filters.get(item.name)
        if value is None:
            continue
        if item.kind == registry.OPEN_CLOSED:
            condition &= Q(**{item.field: value == "closed"})
        elif item.kind == registry.BOOL:
            condition &= Q(**{item.field: value == "yes"})
        else:
            condition &= Q(**{item.field: value})
    return condition


def record_ordering(*, kind: registry.RecordKind, state: ListState) -> list[str]:
    """The ORDER BY: the chosen column, then psa_id so pages never overlap."""
    fields = [state.sort] if state.sort else list(kind.default_ordering)
    if not any(name.lstrip("-") == "psa_id" for name in fields):
        fields.append("-psa_id" if fields[0].startswith("-") else "psa_id")
    return fields


def record_list(
    *, connection, kind: registry.RecordKind, state: ListState, fields: list[str] | None = None
) -> QuerySet:
    """The mirrored records of ``kind`` matching ``state``, ordered, as dicts of ``fields``
    (default: psa_id and the kind's columns)."""
    columns = list(dict.fromkeys(fields or ["psa_id", *(column.name for column in kind.columns)]))
    return (
        kind.model.objects.filter(connection=connection)
        .filter(_filter_q(kind=kind, state=state))
        .filter(search.search_condition(state.q))
        .order_by(*record_ordering(kind=kind, state=state))
        .values(*columns)
    )


def record_list_page(
    *, connection, kind: registry.RecordKind, state: ListState, mirror_generation: int | None = None
) -> ListPage:
    """One page of ``record_list``; a page past the end is clamped to the last one. With the
    kind's ``mirror_generation`` (read before this), the matches found are cached under it."""
    queryset = record_list(connection=connection, kind=kind, state=state)
    return paginate(
        queryset=queryset,
        page=state.page,
        page_size=state.page_size,
        sample=search.count_sample(kind.model, state.q),
        mirror_generation=mirror_generation,
        # What the query matches, named without compiling it.
        name=repr((connection.pk, kind.key, state.q, sorted(state.filters.items()))),
    )


def record_row(*, connection, kind: registry.RecordKind, psa_id: int) -> dict | None:
    """One record as a list row (psa_id and the kind's columns), or None."""
    columns = list(dict.fromkeys(["psa_id", *(column.name for column in kind.columns)]))
    rows = kind.model.objects.filter(connection=connection, psa_id=psa_id).values(*columns)
    return rows.first()


@dataclass(frozen=True)
class SyncUnderWay:
    """A sync of a kind still running, as the list tells it."""

    records_seen: int
    records_total: int | None  # a full sync's count of the PSA's records; None otherwise
    first: bool  # the kind was never fully synced: the mirror holds only part of it so far

    @property
    def progress(self) -> str:
        """How far it is, e.g. "12,000 of 100,000 (12 %)"."""
        if not self.records_total:
            return f"{self.records_seen:,}"
        percent = min(100, self.records_seen * 100 // self.records_total)
        return f"{self.records_seen:,} of {self.records_total:,} ({percent} %)"


@dataclass(frozen=True)
class SyncStatus:
    """Where syncing a kind stands, as the list tells it."""

    under_way: SyncUnderWay | None  # the sync running now, or None
    last_synced_at: datetime.datetime | None  # when a sync (full or incremental) last finished


@dataclass(frozen=True)
class ListStatus:
    """What a list page reads of its kind besides the rows."""

    sync: SyncStatus
    mirror_generation: int  # the kind's (records.generations)
    has_open_changes: bool  # the outbox holds an open change of a record of the kind
    has_saved_views: bool  # the user saved a view of the kind's list


def sync_status(*, connection, kind: registry.RecordKind) -> SyncStatus:
    """The sync of ``kind`` running now and when one last finished."""
    return list_status(connection=connection, kind=kind, user=None).sync


def list_status(*, connection, kind: registry.RecordKind, user) -> ListStatus:
    """The sync of ``kind`` running now, when one last finished, the mirror's generation and
    whether there are open changes and saved views (of ``user``, if any) to read, in one
    query: every list page asks, and the ORM took longer to build several queries than
    PostgreSQL took to answer them."""
    db = db_connections[SyncState.objects.db]
    state, run, job, change, saved = (
        db.ops.quote_name(model._meta.db_table)
        for model in (SyncState, SyncRun, Job, PendingChange, SavedView)
    )
    running = [SyncRun.Status.QUEUED, SyncRun.Status.RUNNING, SyncRun.Status.FINISHING]
    open_statuses = ", ".join(["%s"] * len(PendingChange.OPEN))
    # A stalled sync (its worker lost) is not shown as running.
    news_since = db.ops.adapt_datetimefield_value(timezone.now() - job_selectors.stalled_after())
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT state.last_full_sync_at, state.last_incremental_at, state.mirror_generation, "
            "newest.mode, newest.records_seen, newest.records_total, "
            f"EXISTS (SELECT 1 FROM {change} AS pending WHERE pending.connection_id = %s "
            f"AND pending.kind = %s AND pending.status IN ({open_statuses})), "
            f"EXISTS (SELECT 1 FROM {saved} AS saved WHERE saved.user_id = %s AND saved.kind = %s) "
            "FROM (SELECT 1 AS one) AS here "
            f"LEFT JOIN {state} AS state ON state.connection_id = %s AND state.kind = %s "
            "LEFT JOIN (SELECT run.mode, run.records_seen, run.records_total "
            f"FROM {run} AS run JOIN {job} AS job ON job.id = run.job_id "
            "WHERE run.connection_id = %s AND run.kind = %s AND run.status IN (%s, %s, %s) "
            "AND job.updated_at >= %s ORDER BY run.created_at DESC LIMIT 1) AS newest ON 1 = 1",
            [
                connection.pk,
                kind.key,
                *PendingChange.OPEN,
                user.pk if user is not None else None,
                kind.key,
                connection.pk,
                kind.key,
                connection.pk,
                kind.key,
                *running,
                news_since,
            ],
        )
        (
            last_full,
            last_incremental,
            generation,
            mode,
            records_seen,
            records_total,
            has_open_changes,
            has_saved_views,
        ) = cursor.fetchone()
    last_full, last_incremental = (
        _datetime_from_db(db, value) for value in (last_full, last_incremental)
    )
    last_synced = max((moment for moment in (last_full, last_incremental) if moment), default=None)
    under_way = None
    if mode is not None:
        full = mode == SyncRun.Mode.FULL
        under_way = SyncUnderWay(
            records_seen=records_seen,
            records_total=records_total if full else None,
            first=full and last_full is None,
        )
    return ListStatus(
        sync=SyncStatus(under_way=under_way, last_synced_at=last_synced),
        mirror_generation=generation or 0,
        # SQLite answers 0 or 1.
        has_open_changes=bool(has_open_changes),
        has_saved_views=bool(has_saved_views),
    )


def _datetime_from_db(db, value) -> datetime.datetime | None:
    """A timestamp column's value as the ORM would give it (SQLite answers with text)."""
    column = SyncState._meta.get_field("last_full_sync_at").get_col(SyncState._meta.db_table)
    for converter in db.ops.get_db_converters(column):
        value = converter(value, column, db)
    return value


def saved_view_list(*, user, kind: registry.RecordKind) -> QuerySet[SavedView]:
    """The user's saved views of this kind's list, by name."""
    return SavedView.objects.filter(user=user, kind=kind.key).only("pk", "name", "query")


# -- The list page -----------------------------------------------------------------------


def _column_headers(*, kind: registry.RecordKind, state: ListState) -> list[dict]:
    """Header cells: label, whether sortable, current direction, and the query to sort by."""
    current = state.sort or kind.default_ordering[0]
    current_name, current_desc = current.lstrip("-"), current.startswith("-")
    headers = []
    for column in kind.columns:
        sorted_as = None
        if column.name == current_name:
            sorted_as = "desc" if current_desc else "asc"
        next_sort = f"-{column.name}" if sorted_as == "asc" else column.name
        headers.append(
            {
                "name": column.name,
                "label": column.label,
                "sortable": column.sortable,
                "sorted": sorted_as,
                "sort_query": state.to_query(sort=next_sort, page=1),
            }
        )
    return headers


def _filter_fields(*, connection, kind: registry.RecordKind, state: ListState) -> list[dict]:
    """The filter form's inputs: each filter's current value and the choices it offers."""
    fields = []
    for item in kind.filters:
        field_info = {"key": item.name, "label": item.label, "type": item.kind}
        if item.kind == registry.DATE_RANGE:
            start_param, end_param = item.params
            field_info["value_from"] = state.filters.get(start_param, "")
            field_info["value_to"] = state.filters.get(end_param, "")
        else:
            value = state.filters.get(item.name, "")
            options = filter_options(connection=connection, kind=kind, item=item)
            field_info["value"] = value
            field_info["options"] = options
            if options is not None:
                field_info["options_html"] = options_html([("", "Any"), *options], value)
            if item.kind == registry.TEXT:
                suggestions = filter_suggestions(connection=connection, kind=kind, item=item)
                field_info["suggestions"] = suggestions
                field_info["suggestions_html"] = options_html([(s, "") for s in suggestions])
        fields.append(field_info)
    return fields


def _pager(*, url: str, state: ListState, page: ListPage) -> dict:
    """The pager's links, each URL written once: the page numbers shown as (number, URL;
    None for a gap, "" for the current page) and the previous and next pages' URLs ("" for
    none)."""
    wanted = {number for number in page.page_links if number is not None}
    if page.has_previous:
        wanted.add(page.number - 1)
    if page.has_next:
        wanted.add(page.number + 1)
    urls = {number: f"{url}?{state.to_query(page=number)}" for number in wanted}
    return {
        "links": [
            (number, "" if number in (None, page.number) else urls[number])
            for number in page.page_links
        ],
        "previous_url": urls[page.number - 1] if page.has_previous else "",
        "next_url": urls[page.number + 1] if page.has_next else "",
    }


def active_filter_count(*, kind: registry.RecordKind, state: ListState) -> int:
    """How many of the kind's filters are set; a date range counts once for either end."""
    return sum(any(param in state.filters for param in item.params) for item in kind.filters)


def record_list_context(
    *, connection, kind: registry.RecordKind, state: ListState, notices: list[str], user
) -> dict:
    """Everything the list page (or its rows fragment) shows for a clean ``state``.

    ``notices`` are the form's words about dropped input; a page past the end adds one.
    """
    notices = list(notices)
    # The status first: the page's matches are cached under the generation it read.
    status = list_status(connection=connection, kind=kind, user=user)
    page = record_list_page(
        connection=connection, kind=kind, state=state, mirror_generation=status.mirror_generation
    )
    syncing = status.sync.under_way
    if page.clamped_from:
        notices.append(
            f"There is no page {page.clamped_from}; showing the last page, {page.number}."
        )
        state = replace(state, page=page.number)
    kind_list_url = list_url(kind_key=kind.key)
    columns = _column_headers(kind=kind, state=state)
    # Tickets can be changed many at once by whoever may edit them: each row gets a checkbox.
    bulk = change_rows.inline_editable(kind, user)
    return {
        "bulk": bulk,
        "kind": kind,
        "record_kinds": registry.record_kinds(),
        "state": state,
        "query": state.to_query(),
        "notices": notices,
        "page": page,
        "pager": _pager(url=kind_list_url, state=state, page=page),
        "rows": page.rows,
        "rows_html": change_rows.list_rows_html(
            connection=connection,
            kind=kind,
            rows=page.rows,
            user=user,
            open_changes=status.has_open_changes,
        ),
        "row_marks": change_rows.has_row_marks(kind),
        "columns": columns,
        "columns_html": header_cells(headers=columns, url=kind_list_url),
        # A callable: only the full page reads it, so the rows fragment skips the choices.
        "filter_fields": functools.partial(
            _filter_fields, connection=connection, kind=kind, state=state
        ),
        "active_filters": active_filter_count(kind=kind, state=state),
        "page_sizes": PAGE_SIZES,
        "search_max": SEARCH_MAX,
        "list_url": kind_list_url,
        "canonical_url": list_url(kind_key=kind.key, state=state),
        "last_synced_at": status.sync.last_synced_at,
        "sync_under_way": syncing,
        # Counts and filter choices are of the part mirrored so far while a first sync runs.
        "so_far": bool(syncing and syncing.first),
        "saved_views": saved_view_list(user=user, kind=kind) if status.has_saved_views else [],
    }


# -- The detail page ---------------------------------------------------------------------


def _sections(*, kind: registry.RecordKind, document: dict) -> list[dict]:
    """The registry's detail sections with the record's values; empty sections dropped."""
    groups = []
    for title, paths in kind.detail_sections.items():
        fields = []
        for path in paths:
            value = value_at(document, path)
            if value is None or value == "" or value == []:
                continue
            fields.append((field_label(path), value))
        if fields:
            groups.append({"title": title, "fields": fields})
    return groups


def _more_url(*, related_kind: registry.RecordKind, relation: registry.Related, record) -> str:
    """A link to the related kind's list filtered to this record, where a filter allows it."""
    if relation.field != "company_id":
        return ""
    company_filter = next(
        (item for item in related_kind.filters if item.field == "company_name"), None
    )
    name = getattr(record, "name", "") or record.display_name
    if company_filter is None or not name:
        return ""
    return f"{list_url(kind_key=related_kind.key)}?{urlencode({company_filter.name: name})}"


def related_groups(*, connection, kind: registry.RecordKind, record) -> list[dict]:
    """For each related kind: the first few records pointing at this one, in that kind's
    default list order (newest first for most), and a link to all of them."""
    groups = []
    for relation in kind.related:
        related_kind = registry.get_kind(relation.kind)
        columns = list(related_kind.columns[:RELATED_COLUMNS])
        names = ["psa_id", *(column.name for column in columns)]
        records = record_list(
            connection=connection, kind=related_kind, state=ListState(), fields=names
        )
        rows = list(records.filter(**{relation.field: record.psa_id})[: RELATED_ROWS + 1])
        more = len(rows) > RELATED_ROWS
        rows = rows[:RELATED_ROWS]
        related_list_url = list_url(kind_key=related_kind.key)
        groups.append(
            {
                "key": related_kind.key,
                "label": relation.label,
                "columns": columns,
                "rows": rows,
                "rows_html": table_rows(
                    url_prefix=related_list_url,
                    rows=rows,
                    names=[column.name for column in columns],
                ),
                "more": more,
                "shown": len(rows),
                "more_url": _more_url(related_kind=related_kind, relation=relation, record=record)
                if more
                else "",
            }
        )
    return groups


def record_detail_context(*, connection, kind: registry.RecordKind, psa_id: int) -> dict | None:
    """Everything a detail page shows, or None when the mirror has no such record."""
    record = kind.model.objects.filter(connection=connection, psa_id=psa_id).first()
    if record is None:
        return None
    document = (
        RecordDocument.objects.filter(connection=connection, kind=kind.key, psa_id=psa_id)
        .values_list("data", flat=True)
        .first()
    )
    if not isinstance(document, dict):
        document = {}
    return {
        "kind": kind,
        "record_kinds": registry.record_kinds(),
        "record": record,
        "title": record.display_name or f"{kind.singular.capitalize()} #{record.psa_id}",
        "sections": _sections(kind=kind, document=document),
        "related": related_groups(connection=connection, kind=kind, record=record),
        "list_url": list_url(kind_key=kind.key),
    }


# -- A technician's own work (the home page) ----------------------------------------------

MY_TICKETS_SHOWN = 8


def member_for_user(*, connection, user) -> Member | None:
    """The PSA member who is this user: the same e-mail, else an identifier equal to the
    username."""
    members = Member.objects.filter(connection=connection)
    if user.email:
        member = members.filter(email__iexact=user.email).first()
        if member is not None:
            return member
    return members.filter(identifier__iexact=user.get_username()).first()


def my_work(*, connection, member: Member, today: datetime.date) -> dict:
    """The member's open tickets (most urgent and oldest first) and hours logged today and
    this week (from Monday)."""
    open_tickets = Ticket.objects.filter(
        connection=connection, owner_identifier=member.identifier, closed_flag=False
    )
    urgency = Priority.objects.filter(connection=connection, psa_id=OuterRef("priority_id")).values(
        "sort_order"
    )[:1]
    tickets = (
        open_tickets.annotate(urgency=Subquery(urgency))
        .order_by(F("urgency").asc(nulls_last=True), "date_entered")
        .values("psa_id", "summary", "company_name", "priority_name", "status_name", "date_entered")
    )
    monday = today - datetime.timedelta(days=today.weekday())
    hours = TimeEntry.objects.filter(
        connection=connection, member_identifier=member.identifier, work_date__gte=monday
    ).aggregate(
        week=Sum("actual_hours"),
        today=Sum("actual_hours", filter=Q(work_date=today)),
    )
    return {
        "member": member,
        "open_count": open_tickets.count(),
        "tickets": list(tickets[:MY_TICKETS_SHOWN]),
        "tickets_url": f"{list_url(kind_key='tickets')}?"
        + urlencode({"owner": member.identifier, "open": "open"}),
        "hours_today": hours["today"] or 0,
        "hours_week": hours["week"] or 0,
    }
