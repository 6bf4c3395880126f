"""What the record page and "My changes" show of the outbox."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.models import Company, PendingChange
from psaportal.records.notes import services as notes_services


def _shown(value, field: registry.EditableField, names: dict) -> str:
    if value in (None, ""):
        return "—"
    if field.widget == "reference":
        return names.get((field.lookup, value), f"#{value}")
    return str(value)


def _names(connection_id: int, kind: registry.RecordKind, changes) -> dict:
    """(lookup key, id) → display name for every reference value the changes mention."""
    wanted: dict[str, set[int]] = {}
    for change in changes:
        for field in kind.editable_fields:
            if field.widget != "reference" or field.path not in change.changes:
                continue
            values = (change.changes, change.seen, change.current or {})
            ids = {part.get(field.path) for part in values} - {None}
            wanted.setdefault(field.lookup, set()).update(ids)
    names = {}
    for lookup_key, ids in wanted.items():
        model = registry.get_kind(lookup_key).model
        rows = model.objects.filter(connection_id=connection_id, psa_id__in=ids)
        names.update(
            ((lookup_key, psa_id), name)
            for psa_id, name in rows.values_list("psa_id", "display_name")
        )
    return names


def change_rows(changes: list[PendingChange]) -> list[dict]:
    """Each change with its fields as (label, what you saw, what it is now, what you want)."""
    names_by_group = {}  # one name query per lookup for each (connection, kind), not per change
    for change in changes:
        if change.operation != PendingChange.Operation.CREATE:
            names_by_group.setdefault((change.connection_id, change.kind), []).append(change)
    for (connection_id, kind_key), group in names_by_group.items():
        names_by_group[connection_id, kind_key] = _names(
            connection_id, registry.get_kind(kind_key), group
        )
    rows = []
    for change in changes:
        kind = registry.outbox_kind(change.kind)
        if change.operation == PendingChange.Operation.CREATE:
            rows.append(
                {
                    "change": change,
                    "kind": kind,
                    "fields": _new_record_fields(change),
                    "url": change_record_url(change),
                }
            )
            continue
        names = names_by_group[change.connection_id, change.kind]
        fields = [
            {
                "label": field.label,
                "seen": _shown(change.seen.get(field.path), field, names),
                "now": _shown((change.current or {}).get(field.path), field, names)
                if change.current is not None
                else "",
                "wanted": _shown(change.changes[field.path], field, names),
                "conflict": change.current is not None
                and change.current.get(field.path) != change.seen.get(field.path),
                "error": change.field_errors.get(field.path, ""),
            }
            for field in kind.editable_fields
            if field.path in change.changes
        ]
        rows.append({"change": change, "kind": kind, "fields": fields})
    return rows


#: What a new record's row shows of its input, by kind: (input key, label).
NEW_RECORD_FIELDS = {
    "tickets": (
        ("summary", "Summary"),
        ("company", "Company"),
        ("initialDescription", "Description"),
    ),
    "time_entries": (
        ("chargeToId", "Ticket"),
        ("timeStart", "Start (UTC)"),
        ("timeEnd", "End (UTC)"),
        ("actualHours", "Hours"),
        ("billableOption", "Billing"),
        ("notes", "Notes"),
    ),
    "ticket_notes": (
        ("ticketId", "Ticket"),
        ("text", "Note"),
        ("detailDescriptionFlag", "Discussion"),
        ("internalAnalysisFlag", "Internal analysis"),
        ("resolutionFlag", "Resolution"),
    ),
}


def change_record_url(change: PendingChange) -> str:
    """The page of the record a change is about ("" for a new record not created yet); a
    new note's is its ticket's notes."""
    if change.kind == registry.TICKET_NOTES.key:
        ticket_id = change.changes.get("ticketId")
        return reverse("records:detail", args=["tickets", ticket_id]) + "#notes"
    if not change.psa_id:
        return ""
    return reverse("records:detail", args=[change.kind, change.psa_id])


def _new_record_fields(change: PendingChange) -> list[dict]:
    """A new record's input as rows, the company by its name."""
    wanted = change.changes
    rows = []
    for key, label in NEW_RECORD_FIELDS.get(change.kind, ()):
        value = wanted.get(key)
        if key == "company":
            company_id = (value or {}).get("id")
            company = Company.objects.filter(connection_id=change.connection_id, psa_id=company_id)
            value = company.values_list("name", flat=True).first() or f"#{company_id}"
        elif key in ("chargeToId", "ticketId") and value:
            value = f"#{value}"
        elif isinstance(value, bool):
            value = "Yes" if value else ""
        if value in (None, "") and not change.field_errors.get(key):
            continue
        rows.append(
            {
                "label": label,
                "seen": "",
                "now": "",
                "wanted": value,
                "conflict": False,
                "error": change.field_errors.get(key, ""),
            }
        )
    return rows


def record_open_changes(
    *, connection, kind: registry.RecordKind, psa_id: int
) -> tuple[list[PendingChange], list[PendingChange]]:
    """The open changes of one record (any author) and, for a ticket, its new notes still in
    the outbox, each oldest first: one query for the two lists of the record's page."""
    wanted = Q(kind=kind.key, psa_id=psa_id)
    if kind.key == "tickets":
        wanted |= notes_services.new_notes_of(psa_id)
    changes = list(
        PendingChange.objects.filter(wanted, connection=connection, status__in=PendingChange.OPEN)
        .select_related("author")
        .order_by("created_at", "id")
    )
    record_changes = [change for change in changes if change.kind == kind.key]
    note_changes = [change for change in changes if change.kind != kind.key]
    return record_changes, note_changes


def my_changes(*, user, limit: int = 100) -> list[dict]:
    """The user's changes, open ones first, then the newest."""
    changes = (
        PendingChange.objects.filter(author=user)
        .exclude(status=PendingChange.Status.DISCARDED)
        .select_related("author")[:limit]
    )
    ordered = sorted(changes, key=lambda change: not change.is_open)
    return change_rows(ordered)


def open_change_counts(*, user) -> dict[str, int]:
    """How many of the user's changes wait to be sent, failed or are in conflict (one
    query); empty when none is open."""
    counts = dict(
        PendingChange.objects.filter(author=user, status__in=PendingChange.OPEN)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    if not counts:
        return {}
    Status = PendingChange.Status
    return {
        "waiting": counts.get(Status.PENDING, 0) + counts.get(Status.APPLYING, 0),
        "failed": counts.get(Status.FAILED, 0),
        "conflict": counts.get(Status.CONFLICT, 0),
    }


def open_changes_by_record(
    *, connection, kind: registry.RecordKind, psa_ids: list[int]
) -> dict[int, PendingChange]:
    """The newest open change of each of these records that has one (one query)."""
    changes = (
        PendingChange.objects.filter(
            connection=connection,
            kind=kind.key,
            psa_id__in=psa_ids,
            status__in=PendingChange.OPEN,
            operation=PendingChange.Operation.UPDATE,
        )
        .only("pk", "psa_id", "status", "changes")
        .order_by("psa_id", "-created_at", "-id")
    )
    newest: dict[int, PendingChange] = {}
    for change in changes:
        newest.setdefault(change.psa_id, change)
    return newest
