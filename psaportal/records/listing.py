"""Reading record lists from the mirror: the list state kept in the URL, and its query.

`list_state_from_query` turns a request's query string into a clean `ListState` (with a
notice for every part it had to drop or clamp); `record_list` turns that state into one
queryset over the typed, indexed columns; `list_page` pages it with a capped count.
Nothing here raises on bad input: the worst a URL can do is get ignored, with a message.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from psaportal.records import registry, search
from psaportal.records.display import options_html, table_rows
from psaportal.records.models import SyncState
from psaportal.records.paging import ListPage, paginate

SEARCH_MAX = 200
TEXT_FILTER_MAX = 100
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
OPTIONS_MAX = 500
OPTIONS_CACHE_SECONDS = 120
OPEN_CLOSED_OPTIONS = (("open", "Open"), ("closed", "Closed"))
BOOL_OPTIONS = (("yes", "Yes"), ("no", "No"))


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


def clean_text(value: str) -> str:
    """Text with control characters (NUL breaks PostgreSQL) dropped and spaces collapsed."""
    kept = (char if char.isprintable() or char.isspace() else "" for char in value)
    return " ".join("".join(kept).split())


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def filter_options(*, connection, kind: registry.RecordKind, item: registry.Filter):
    """(value, label) pairs a filter offers; None for a free-text filter."""
    if item.kind == registry.OPEN_CLOSED:
        return list(OPEN_CLOSED_OPTIONS)
    if item.kind == registry.BOOL:
        return list(BOOL_OPTIONS)
    if item.kind == registry.CHOICE:
        values = _distinct_values(connection=connection, kind=kind, item=item)
        return [(value, value) for value in values]
    return None


def text_suggestions(*, connection, kind: registry.RecordKind, item: registry.Filter):
    """Values a free-text filter is likely to be given (offered as a datalist)."""
    return _distinct_values(connection=connection, kind=kind, item=item)


def _distinct_values(*, connection, kind, item) -> list[str]:
    """Distinct non-blank values of the filter's column (or its lookup's names), cached."""
    source = registry.get_kind(item.lookup) if item.lookup else None
    cache_key = f"records:options:{connection.pk}:{kind.key}:{item.name}"
    values = cache.get(cache_key)
    if values is None:
        if source is not None:
            queryset = source.model.objects.filter(connection=connection).exclude(name="")
            values = sorted(set(queryset.values_list("name", flat=True)[: OPTIONS_MAX * 4]))
        else:
            values = []
        if not values:
            values = list(
                kind.model.objects.filter(connection=connection)
                .exclude(**{item.field: ""})
                .order_by(item.field)
                .values_list(item.field, flat=True)
                .distinct()[:OPTIONS_MAX]
            )
        cache.set(cache_key, values, OPTIONS_CACHE_SECONDS)
    return values


def list_state_from_query(
    *, connection, kind: registry.RecordKind, query
) -> tuple[ListState, list[str]]:
    """A clean list state from a QueryDict, and the notices about what was dropped."""
    notices: list[str] = []

    q = clean_text(query.get("q", ""))
    if len(q) > SEARCH_MAX:
        q = q[:SEARCH_MAX].rstrip()
        notices.append(f"The search was cut to its first {SEARCH_MAX} characters.")
    if q and not search.words(q):
        notices.append("The search has no letters or digits, so it finds everything.")

    filters: dict[str, str] = {}
    for item in kind.filters:
        if item.kind == registry.DATE_RANGE:
            bounds = {}
            for end in ("from", "to"):
                name = f"{item.name}_{end}"
                raw = query.get(name, "").strip()
                if not raw:
                    continue
                parsed = _parse_date(raw)
                if parsed is None:
                    notices.append(
                        f"“{raw[:40]}” is not a date for {item.label} {end}; "
                        "use YYYY-MM-DD. That bound was ignored."
                    )
                    continue
                bounds[end] = parsed
            if "from" in bounds and "to" in bounds and bounds["from"] > bounds["to"]:
                bounds["from"], bounds["to"] = bounds["to"], bounds["from"]
                notices.append(f"{item.label}: the dates were the wrong way round; swapped.")
            for end, value in bounds.items():
                filters[f"{item.name}_{end}"] = value.isoformat()
            continue
        raw = clean_text(query.get(item.name, ""))
        if not raw:
            continue
        if item.kind == registry.TEXT:
            if len(raw) > TEXT_FILTER_MAX:
                notices.append(f"The {item.label} filter was too long and was ignored.")
                continue
            filters[item.name] = raw
            continue
        options = filter_options(connection=connection, kind=kind, item=item) or []
        if raw in {value for value, _ in options}:
            filters[item.name] = raw
        else:
            notices.append(f"“{raw[:40]}” is not a known {item.label.lower()}; filter ignored.")

    sort = query.get("sort", "").strip()
    if sort and sort.lstrip("-") not in kind.sortable_columns:
        notices.append("That column cannot be sorted on; the default order is used.")
        sort = ""

    page_size = _int(query.get("page_size"))
    if "page_size" in query and page_size not in PAGE_SIZES:
        notices.append(f"Rows per page can be {', '.join(map(str, PAGE_SIZES))}; using 50.")
    if page_size not in PAGE_SIZES:
        page_size = DEFAULT_PAGE_SIZE

    page = _int(query.get("page"))
    if page is None or page < 1:
        if query.get("page", "").strip():
            notices.append("That page number made no sense; showing the first page.")
        page = 1
    page = min(page, 1_000_000)

    state = ListState(q=q, filters=filters, sort=sort, page=page, page_size=page_size)
    return state, notices


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filter_q(*, kind: registry.RecordKind, state: ListState) -> Q:
    condition = Q()
    for item in kind.filters:
        if item.kind == registry.DATE_RANGE:
            is_datetime = kind.model._meta.get_field(item.field).get_internal_type() == (
                "DateTimeField"
            )
            start = state.filters.get(f"{item.name}_from")
            end = state.filters.get(f"{item.name}_to")
            if start:
                day = datetime.date.fromisoformat(start)
                value = _start_of_day(day) if is_datetime else day
                condition &= Q(**{f"{item.field}__gte": value})
            if end:
                day = datetime.date.fromisoformat(end)
                if is_datetime:
                    condition &= Q(
                        **{f"{item.field}__lt": _start_of_day(day) + datetime.timedelta(days=1)}
                    )
                else:
                    condition &= Q(**{f"{item.field}__lte": day})
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


def ordering(*, kind: registry.RecordKind, state: ListState) -> list[str]:
    """The ORDER BY: the chosen column, then psa_id so pages never overlap."""
    if not state.sort:
        fields = list(kind.default_ordering)
    else:
        fields = [state.sort]
    if not any(name.lstrip("-") == "psa_id" for name in fields):
        descending = fields[0].startswith("-")
        fields.append("-psa_id" if descending else "psa_id")
    return fields


def record_list(*, connection, kind: registry.RecordKind, state: ListState, fields=None):
    """The mirrored records of `kind` matching `state`, ordered, as dicts of `fields`."""
    columns = fields or ["psa_id", *(column.name for column in kind.columns)]
    columns = list(dict.fromkeys(columns))
    return (
        kind.model.objects.filter(connection=connection)
        .filter(_filter_q(kind=kind, state=state))
        .filter(search.search_condition(state.q))
        .order_by(*ordering(kind=kind, state=state))
        .values(*columns)
    )


def list_page(*, connection, kind: registry.RecordKind, state: ListState) -> ListPage:
    queryset = record_list(connection=connection, kind=kind, state=state)
    return paginate(queryset=queryset, page=state.page, page_size=state.page_size)


def _columns(*, kind: registry.RecordKind, state: ListState) -> list[dict]:
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
    fields = []
    for item in kind.filters:
        field_info = {"key": item.name, "label": item.label, "type": item.kind}
        if item.kind == registry.DATE_RANGE:
            field_info["value_from"] = state.filters.get(f"{item.name}_from", "")
            field_info["value_to"] = state.filters.get(f"{item.name}_to", "")
        else:
            value = state.filters.get(item.name, "")
            options = filter_options(connection=connection, kind=kind, item=item)
            field_info["value"] = value
            field_info["options"] = options
            if options is not None:
                field_info["options_html"] = options_html([("", "Any"), *options], value)
            if item.kind == registry.TEXT:
                suggestions = text_suggestions(connection=connection, kind=kind, item=item)
                field_info["suggestions"] = suggestions
                field_info["suggestions_html"] = options_html([(s, "") for s in suggestions])
        fields.append(field_info)
    return fields


def last_synced_at(*, connection, kind: registry.RecordKind):
    """When a sync (full or incremental) of this kind last finished, or None."""
    state = SyncState.objects.filter(connection=connection, kind=kind.key).first()
    return state.last_synced_at if state is not None else None


def list_context(*, connection, kind: registry.RecordKind, query, user) -> dict:
    """Everything the list page (or its rows fragment) shows."""
    from psaportal.records import saved_views

    state, notices = list_state_from_query(connection=connection, kind=kind, query=query)
    page = list_page(connection=connection, kind=kind, state=state)
    if page.clamped_from:
        notices.append(
            f"There is no page {page.clamped_from}; showing the last page, {page.number}."
        )
        state = replace(state, page=page.number)
    list_url = reverse("records:list", args=[kind.key])
    return {
        "entry": kind,
        "record_kinds": registry.record_kinds(),
        "state": state,
        "query": state.to_query(),
        "notices": notices,
        "page": page,
        "rows": page.rows,
        "rows_html": table_rows(
            url_prefix=list_url, rows=page.rows, names=[column.name for column in kind.columns]
        ),
        "columns": _columns(kind=kind, state=state),
        # A callable: only the full page reads it, so the rows fragment skips the choices.
        "filter_fields": functools.partial(
            _filter_fields, connection=connection, kind=kind, state=state
        ),
        "page_sizes": PAGE_SIZES,
        "search_max": SEARCH_MAX,
        "list_url": list_url,
        "canonical_url": f"{list_url}?{state.to_query()}".rstrip("?"),
        "last_synced_at": last_synced_at(connection=connection, kind=kind),
        "saved_views": saved_views.saved_views_for(user=user, kind=kind),
    }
