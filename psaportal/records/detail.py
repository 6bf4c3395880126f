"""Reading one mirrored record for its detail page: grouped fields and related records.

Everything comes from the mirror: the fields from the record's stored PSA JSON (paths such
as ``status/name`` from the registry's detail sections), the related records from the
typed, indexed columns of the other kinds (a ticket's ``company_id`` and so on).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.urls import reverse

from psaportal.records import registry
from psaportal.records.display import table_rows
from psaportal.records.models import RecordDocument, parse_datetime

RELATED_ROWS = 10
RELATED_COLUMNS = 6
# PSA timestamps look like 2026-01-01T10:00:00Z; show them as dates, not strings.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
LABEL_WORDS = {"id": "ID", "ip": "IP", "os": "OS", "mac": "MAC", "info": ""}


def field_label(path: str) -> str:
    """A readable label for a PSA path: ``_info/dateEntered`` → "Date entered"."""
    last = path.rstrip("/").split("/")
    name = last[-1] if last[-1] not in ("name", "identifier", "summary") else last[0]
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name.lstrip("_")).lower().split()
    words = [LABEL_WORDS.get(word, word) for word in words]
    if words and words[-1] == "flag":
        words = words[:-1]
    text = " ".join(word for word in words if word)
    return text[:1].upper() + text[1:]


def value_at(data, path: str):
    """The value at a ``/``-separated path of PSA JSON, or None."""
    value = data
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return _typed_value(value)


def _typed_value(value):
    if isinstance(value, str) and TIMESTAMP.match(value):
        return parse_datetime(value) or value
    if isinstance(value, list):
        return [_list_item(item) for item in value]
    return value


def _list_item(item):
    """One entry of a PSA array (types, communication items) as short text."""
    if not isinstance(item, dict):
        return item
    if "value" in item and isinstance(item.get("type"), dict):
        kind = item["type"].get("name") or item.get("communicationType") or ""
        default = " (default)" if item.get("defaultFlag") else ""
        return f"{kind}: {item['value']}{default}" if kind else f"{item['value']}{default}"
    return item.get("name") or item.get("identifier") or item.get("id")


def sections(*, kind: registry.RecordKind, data: dict) -> list[dict]:
    """The registry's detail sections with the record's values; empty sections dropped."""
    groups = []
    for title, paths in kind.detail_sections.items():
        fields = []
        for path in paths:
            value = value_at(data, path)
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
    list_url = reverse("records:list", args=[related_kind.key])
    return f"{list_url}?{urlencode({company_filter.name: name})}"


def related_groups(*, connection, kind: registry.RecordKind, record) -> list[dict]:
    """For each related kind: its newest few records pointing at this one."""
    groups = []
    for relation in kind.related:
        related_kind = registry.get_kind(relation.kind)
        if related_kind is None:
            continue
        columns = list(related_kind.columns[:RELATED_COLUMNS])
        names = list(dict.fromkeys(["psa_id", *(column.name for column in columns)]))
        ordering = list(related_kind.default_ordering)
        if "-psa_id" not in ordering and "psa_id" not in ordering:
            ordering.append("-psa_id")
        rows = list(
            related_kind.model.objects.filter(
                connection=connection, **{relation.field: record.psa_id}
            )
            .order_by(*ordering)
            .values(*names)[: RELATED_ROWS + 1]
        )
        more = len(rows) > RELATED_ROWS
        rows = rows[:RELATED_ROWS]
        list_url = reverse("records:list", args=[related_kind.key])
        groups.append(
            {
                "key": related_kind.key,
                "label": relation.label,
                "columns": columns,
                "rows": rows,
                "rows_html": table_rows(
                    url_prefix=list_url, rows=rows, names=[column.name for column in columns]
                ),
                "more": more,
                "shown": len(rows),
                "more_url": _more_url(related_kind=related_kind, relation=relation, record=record)
                if more
                else "",
            }
        )
    return groups


def detail_context(*, connection, kind: registry.RecordKind, psa_id: int) -> dict | None:
    """Everything a detail page shows, or None when the mirror has no such record."""
    record = kind.model.objects.filter(connection=connection, psa_id=psa_id).first()
    if record is None:
        return None
    data = (
        RecordDocument.objects.filter(connection=connection, kind=kind.key, psa_id=psa_id)
        .values_list("data", flat=True)
        .first()
    )
    if not isinstance(data, dict):
        data = {}
    return {
        "entry": kind,
        "record_kinds": registry.record_kinds(),
        "record": record,
        "title": record.display_name or f"{kind.singular.capitalize()} #{record.psa_id}",
        "sections": sections(kind=kind, data=data),
        "related": related_groups(connection=connection, kind=kind, record=record),
        "list_url": reverse("records:list", args=[kind.key]),
    }
