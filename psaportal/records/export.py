"""CSV export of a record list: every row of the current filter, streamed in chunks.

Rows come from the typed columns through a server-side cursor (`iterator`), so exporting
100,000 records holds one chunk in memory, never the whole result.
"""

import csv
import datetime
from decimal import Decimal

from django.utils import timezone

from psaportal.records import registry, selectors
from psaportal.records.list_state import ListState

CHUNK_SIZE = 2000
# A cell starting with one of these is a formula to a spreadsheet; quote it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def filename(*, kind: registry.RecordKind) -> str:
    return f"{kind.key}-{timezone.now():%Y%m%d-%H%M}.csv"


def csv_lines(*, connection, kind: registry.RecordKind, state: ListState):
    """The header line, then one CSV line per matching record, in the list's order."""
    names = list(dict.fromkeys(["psa_id", *(column.name for column in kind.columns)]))
    labels = {column.name: column.label for column in kind.columns}
    writer = csv.writer(_Line())
    yield writer.writerow(["PSA id" if name == "psa_id" else labels[name] for name in names])
    rows = selectors.record_list(connection=connection, kind=kind, state=state, fields=names)
    for row in rows.values_list(*names).iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([_cell(value) for value in row])
