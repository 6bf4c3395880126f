"""Template helpers for the record lists and detail pages."""

import datetime
from decimal import Decimal

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def cell(value):
    """A mirrored value as a person reads it: dates short, booleans as Yes/No, blanks as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, decimal_pos=2)
    if isinstance(value, dict):
        return value.get("name") or value.get("identifier") or value.get("id") or "—"
    if isinstance(value, list):
        return ", ".join(str(cell(item)) for item in value) or "—"
    return value


@register.simple_tag
def list_query(state, **changes):
    """The list URL query for `state` with some parts changed (page, sort, page_size)."""
    return "?" + state.to_query(**changes)
