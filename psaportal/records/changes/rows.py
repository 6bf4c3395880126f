"""List rows that show the outbox: a record with an open change is marked in its row.

A change on its way (pending, being sent) shows the values it sets, marked "pending"; a row
swapped in after an inline edit asks for itself again every few seconds until the change is
applied (the fresh row has no poller, so the polling ends with it); a failed or conflicting
change is marked with a link to it on the record's page. Tickets' rows also offer the
inline edit of status, priority and owner (``TicketRowForm``).
"""

from __future__ import annotations

import html

from django.urls import reverse
from django.utils.safestring import SafeString

from psaportal import site_urls
from psaportal.accounts import roles
from psaportal.records import registry
from psaportal.records.changes import selectors as change_selectors
from psaportal.records.display import table_rows
from psaportal.records.list_state import list_url
from psaportal.records.models import PendingChange

#: Ticket fields edited in the row: path → (the list column showing it, the attribute of
#: the lookup's record that column shows).
INLINE_FIELDS = {
    "status": ("status_name", "name"),
    "priority": ("priority_name", "name"),
    "owner": ("owner_identifier", "identifier"),
}
#: How often a row with a change on its way asks for itself again.
POLL_EVERY = "2s"
ON_ITS_WAY = (PendingChange.Status.PENDING, PendingChange.Status.APPLYING)
MARK_WORDS = {
    PendingChange.Status.PENDING: "pending",
    PendingChange.Status.APPLYING: "pending",
    PendingChange.Status.FAILED: "failed",
    PendingChange.Status.CONFLICT: "conflict",
}


def has_row_marks(kind: registry.RecordKind) -> bool:
    """Whether the kind's list rows end with the cell for marks (and the inline edit)."""
    return bool(kind.editable_fields)


def inline_editable(kind: registry.RecordKind, user) -> bool:
    """Tickets' status, priority and owner are edited in the row by whoever may edit."""
    return kind.key == "tickets" and user.has_perm(roles.EDIT_RECORDS)


def row_dom_id(kind: registry.RecordKind, psa_id: int) -> str:
    return f"{kind.key}-row-{int(psa_id)}"


def list_rows_html(
    *,
    connection,
    kind: registry.RecordKind,
    rows: list[dict],
    user,
    poll: bool = False,
    open_changes: bool = True,
) -> SafeString:
    """The ``<tr>`` rows of a list page, or (``poll``) one row swapped in by HTMX after an
    inline edit, which asks for itself again while its change is on its way. (A whole page
    of polling rows after a bulk edit would be a request per row every few seconds; the
    bulk edit's progress reloads the list instead.) ``open_changes=False``: the caller
    knows the outbox holds no open change of the kind, so none is looked for."""
    editable = inline_editable(kind, user)
    names = [column.name for column in kind.columns]
    prefix = list_url(kind_key=kind.key)
    if not has_row_marks(kind):
        return table_rows(url_prefix=prefix, rows=rows, names=names)
    changes = {}
    if open_changes:
        changes = change_selectors.open_changes_by_record(
            connection=connection, kind=kind, psa_ids=[row["psa_id"] for row in rows]
        )
    rows, cell_notes = _with_wanted_values(connection=connection, kind=kind, rows=rows,
                                           changes=changes)  # fmt: skip

    # Reversed once, not per row: a reverse() per row was most of a page's rendering time.
    edit_url = site_urls.url_maker("records:edit", kind.key)
    row_edit_url = site_urls.url_maker("records:ticket_row_edit")

    def last_cell(psa_id: int) -> str:
        change = changes.get(psa_id)
        parts = [_mark(kind, psa_id, change, poll=poll)] if change else []
        if editable:
            parts.append(_edit_link(psa_id, edit_url(psa_id), row_edit_url(psa_id)))
        return " ".join(parts)

    return table_rows(
        url_prefix=prefix,
        rows=rows,
        names=names,
        select_form="bulk-form" if editable else "",
        row_id=f"{kind.key}-row-",
        cell_notes=cell_notes,
        last_cell=last_cell,
    )


def _mark(kind: registry.RecordKind, psa_id: int, change: PendingChange, *, poll: bool) -> str:
    where = reverse("records:detail", args=[kind.key, psa_id]) + f"#change-{change.pk}"
    word = MARK_WORDS[change.status]
    mark = (
        f'<a href="{html.escape(where)}" class="badge badge-{change.status}" '
        f'title="Change #{change.pk}: {word}">{word}</a>'
    )
    if poll and change.status in ON_ITS_WAY:
        row_url = reverse("records:row", args=[kind.key, psa_id])
        mark += (
            f'<span hx-get="{html.escape(row_url)}" hx-trigger="every {POLL_EVERY}" '
            'hx-target="closest tr" hx-swap="outerHTML"></span>'
        )
    return mark


def _edit_link(psa_id: int, edit_url: str, row_edit_url: str) -> str:
    # Without JavaScript the link opens the whole edit page.
    return (
        f'<a href="{html.escape(edit_url)}" hx-get="{html.escape(row_edit_url)}" '
        'hx-target="closest tr" hx-swap="outerHTML" class="small" '
        f'aria-label="Edit #{psa_id} in the list">Edit</a>'
    )


def _with_wanted_values(*, connection, kind, rows, changes) -> tuple[list[dict], dict]:
    """The rows with the values of changes on their way in the inline fields' columns,
    and the "pending" notes of those cells."""
    if kind.key != "tickets":
        return rows, {}
    waiting = {psa_id: change for psa_id, change in changes.items() if change.status in ON_ITS_WAY}
    names = _lookup_texts(connection=connection, kind=kind, changes=waiting.values())
    note = ' <small class="badge badge-pending">pending</small>'
    shown, cell_notes = [], {}
    for row in rows:
        change = waiting.get(row["psa_id"])
        if change is None:
            shown.append(row)
            continue
        row = dict(row)
        for path, (column, _) in INLINE_FIELDS.items():
            if path in change.changes:
                value = change.changes[path]
                row[column] = names.get((path, value), "" if value is None else f"#{value}")
                cell_notes.setdefault(row["psa_id"], {})[column] = note
        shown.append(row)
    return shown, cell_notes


def _lookup_texts(*, connection, kind, changes) -> dict:
    """(path, id) → what the list column shows for it, one query per lookup named."""
    fields = {field.path: field for field in kind.editable_fields}
    wanted: dict[str, set[int]] = {}
    for change in changes:
        for path in INLINE_FIELDS:
            if change.changes.get(path) is not None:
                wanted.setdefault(path, set()).add(change.changes[path])
    texts = {}
    for path, ids in wanted.items():
        model = registry.get_kind(fields[path].lookup).model
        attribute = INLINE_FIELDS[path][1]
        rows = model.objects.filter(connection=connection, psa_id__in=ids)
        texts.update(
            ((path, psa_id), text) for psa_id, text in rows.values_list("psa_id", attribute)
        )
    return texts
