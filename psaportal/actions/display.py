"""Showing console answers: a list of records as a table (ids linking to the portal's own
pages where the kind is mirrored), anything else as collapsible JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from psaportal.records import registry

#: Columns a records table shows at most (the JSON view has the rest).
MAX_COLUMNS = 12
#: Columns that name a record, shown first when present.
TITLE_COLUMNS = ("id", "identifier", "name", "summary", "firstName", "lastName")
#: Rows read to find the columns.
COLUMN_SAMPLE = 50
#: Containers open when the JSON tree is first shown.
OPEN_DEPTH = 2


@dataclass
class Cell:
    text: str
    url: str = ""


@dataclass
class RecordTable:
    columns: list[str]
    rows: list[list[Cell]]
    kind_label: str  # "tickets", or "" when the records are not a mirrored kind
    list_key: str  # where the list sits in the output ("records"), "" for a bare list
    extras: dict  # the output's other top-level values (a cursor…)


def kind_for_action(action_key: str) -> registry.RecordKind | None:
    """The mirrored record kind an action reads or writes (list-tickets → tickets)."""
    if not action_key:
        return None
    for kind in registry.KINDS:
        if getattr(kind, "is_lookup", False):
            continue
        actions = kind.actions
        if action_key in (actions.list, actions.get, actions.create, actions.update):
            return kind
    return None


def _records_in(output: Any) -> tuple[str, list] | None:
    def is_records(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value)

    if is_records(output):
        return "", output
    if isinstance(output, dict):
        lists = [(key, value) for key, value in output.items() if is_records(value)]
        if len(lists) == 1:
            return lists[0]
    return None


def record_table(output: Any, *, action_key: str = "") -> RecordTable | None:
    """The output as a table when it is a list of records (or holds exactly one)."""
    found = _records_in(output)
    if found is None:
        return None
    list_key, records = found
    columns: list[str] = []
    for record in records[:COLUMN_SAMPLE]:
        for name in record:
            if name not in columns and name != "_info":
                columns.append(name)
    # The id and the record's title first: a stored output (jsonb) comes back with its keys
    # ordered by length, so the PSA's own order is lost and the title could fall past the cap.
    leading = [name for name in TITLE_COLUMNS if name in columns]
    columns = leading + [name for name in columns if name not in leading]
    columns = columns[:MAX_COLUMNS]
    kind = kind_for_action(action_key)
    rows = [
        [Cell(_cell_text(record.get(name)), _record_url(kind, record) if name == "id" else "")
         for name in columns]
        for record in records
    ]  # fmt: skip
    extras = {key: value for key, value in output.items() if key != list_key} if list_key else {}
    return RecordTable(columns, rows, kind.plural.lower() if kind else "", list_key, extras)


def record_link(output: Any, *, action_key: str) -> str:
    """The portal page of a single record an action returned, if its kind is mirrored."""
    if not isinstance(output, dict):
        return ""
    return _record_url(kind_for_action(action_key), output)


def _record_url(kind: registry.RecordKind | None, record: dict) -> str:
    psa_id = record.get("id")
    if kind is None or isinstance(psa_id, bool) or not isinstance(psa_id, int) or psa_id < 1:
        return ""
    try:
        return reverse("records:detail", args=[kind.key, psa_id])
    except NoReverseMatch:
        return ""


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        for name in ("name", "identifier", "summary"):
            if isinstance(value.get(name), str | int):
                return str(value[name])
        if "id" in value:
            return f"#{value['id']}"
        return json.dumps(value)[:80]
    if isinstance(value, list):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    return str(value)


def json_tree(value: Any) -> SafeString:
    """``value`` as nested, collapsible HTML (``<details>`` per object and list)."""
    parts: list[str] = []
    _tree(value, parts, depth=0, key=None)
    return mark_safe("".join(parts))


def _key_html(key: Any) -> str:
    if key is None:
        return ""
    return f'<span class="json-key">{escape(str(key))}</span>: '


def _tree(value: Any, parts: list[str], *, depth: int, key: Any) -> None:
    if isinstance(value, dict | list) and value:
        is_dict = isinstance(value, dict)
        count = len(value)
        noun = ("key" if is_dict else "item") + ("s" if count != 1 else "")
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        open_attr = " open" if depth < OPEN_DEPTH else ""
        parts.append(
            f'<details class="json-node"{open_attr}><summary>{_key_html(key)}'
            f'{opening}<span class="muted small"> {count} {noun} </span>{closing}</summary>'
            '<div class="json-children">'
        )
        items = value.items() if is_dict else enumerate(value)
        for child_key, child in items:
            _tree(child, parts, depth=depth + 1, key=child_key)
        parts.append("</div></details>")
        return
    text = json.dumps(value, ensure_ascii=False)
    kind = "null" if value is None else type(value).__name__
    parts.append(
        f'<div class="json-leaf">{_key_html(key)}'
        f'<span class="json-{kind}">{escape(text)}</span></div>'
    )


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
