"""How a mirrored value reads on a page: dates short, booleans as Yes/No, blanks as —.

Lists build their rows and filter choices as HTML here, in Python, each value escaped: a
template loop costs about ten times as much per cell or option, which on a 50-row list is
more than the rest of the page. Templates format single values through the ``cell`` filter.
"""

import datetime
import html
from decimal import Decimal

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

BLANK = "—"


def display_value(value, tz: datetime.tzinfo | None = None) -> str:
    """``value`` as text; aware datetimes in ``tz`` (default: the current time zone)."""
    if value is None or value == "":
        return BLANK
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(tz or timezone.get_current_timezone())
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return str(value.get("name") or value.get("identifier") or value.get("id") or BLANK)
    if isinstance(value, list):
        return ", ".join(display_value(item, tz) for item in value) or BLANK
    return str(value)


def table_rows(*, url_prefix: str, rows: list[dict], names: list[str]) -> SafeString:
    """Table rows (``<tr>``) for ``rows``: the first column links to the record at
    ``url_prefix`` + its psa_id, each other column is a cell."""
    tz = timezone.get_current_timezone()
    parts = []
    for row in rows:
        first, *others = (html.escape(display_value(row[name], tz)) for name in names)
        url = html.escape(f"{url_prefix}{row['psa_id']}/")
        cells = "".join(f"<td>{cell}</td>" for cell in others)
        parts.append(f'<tr><td><a href="{url}">{first}</a></td>{cells}</tr>')
    return mark_safe("\n".join(parts))


def options_html(options: list[tuple[str, str]], selected: str = "") -> SafeString:
    """``<option>`` elements for (value, label) pairs, ``selected`` marked."""
    return mark_safe(
        "".join(
            f'<option value="{html.escape(value)}"'
            f"{' selected' if value == selected else ''}>{html.escape(label)}</option>"
            for value, label in options
        )
    )
