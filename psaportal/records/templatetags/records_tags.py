"""Template helpers for the record lists and detail pages."""

from django import template

from psaportal.records.display import display_value

register = template.Library()


@register.filter
def cell(value):
    """A mirrored value as a person reads it (see records/display.py)."""
    return display_value(value)
