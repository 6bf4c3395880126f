"""One editable field's value, as the edit form shows it and the outbox compares it.

A reference (``{"id": 17, "name": "New"}`` in the PSA) is its id; a date is its
``YYYY-MM-DD``; a number a float; text a string. Two values are the same field value when
these forms are equal, so a conflict is only a real difference.
"""

from __future__ import annotations

from datetime import date

from psaportal.records.registry import EditableField


def value_in(record: dict, field: EditableField):
    """The field's value in a PSA record (None when absent)."""
    raw = record.get(field.path) if isinstance(record, dict) else None
    if field.widget == "reference":
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        return raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    if field.widget == "date":
        return raw[:10] if isinstance(raw, str) and len(raw) >= 10 else None
    if field.widget == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        return float(raw)
    return raw if isinstance(raw, str) else ""


def from_form(value, field: EditableField):
    """A cleaned form value in the same form as ``value_in``."""
    if field.widget == "date":
        return value.isoformat() if isinstance(value, date) else None
    if field.widget == "number":
        return float(value) if value is not None else None
    if field.widget == "reference":
        return int(value) if value not in (None, "") else None
    return value or ""


def patch_operation(value, field: EditableField) -> dict:
    """The JSON Patch operation that gives the PSA record this value."""
    if value in (None, "") and not field.required:
        return {"op": "remove", "path": field.path}
    if field.widget == "reference":
        value = {"id": value}
    elif field.widget == "date":
        value = f"{value}T00:00:00Z"
    return {"op": "replace", "path": field.path, "value": value}
