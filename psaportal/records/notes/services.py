"""The ticket notes mirror: reading it, refreshing it from the PSA, adding a created note."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from psaportal.connections.client import membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.membrane import MalformedResponseError, NotFoundError, PsaError
from psaportal.records.models import (
    PendingChange,
    TicketNote,
    datetime_field,
    parse_datetime,
    whole,
)
from psaportal.records.sync.store import database_now

REFRESH_JOB = "records.ticket_notes"
#: allNotes is read a page at a time, with ConnectWise's largest page.
PAGE_SIZE = 1000
#: Notes a ticket may hold before the refresh stops reading (a runaway answer).
MAX_PAGES = 50
NOTE_TYPES = {"TicketNote": TicketNote.Source.TICKET, "TimeEntryNote": TicketNote.Source.TIME_ENTRY}
#: The filters of the notes section: (URL value, label).
SHOWS = (
    ("", "All"),
    ("discussion", "Discussion"),
    ("internal", "Internal analysis"),
    ("resolution", "Resolution"),
    ("time", "Time entry notes"),
)
SHOW_FILTERS = {
    "discussion": {"detail_description_flag": True},
    "internal": {"internal_analysis_flag": True},
    "resolution": {"resolution_flag": True},
    "time": {"source": TicketNote.Source.TIME_ENTRY},
}
#: The PSA's placement flags and the model fields that keep them.
FLAG_FIELDS = {
    "detailDescriptionFlag": "detail_description_flag",
    "internalAnalysisFlag": "internal_analysis_flag",
    "resolutionFlag": "resolution_flag",
}


class NotesProblem(job_services.JobProblem):
    """The PSA's answer could not be read as the ticket's notes."""


# -- reading -------------------------------------------------------------------------------


def ticket_notes(*, connection: Connection, ticket_id: int, show: str = "") -> list[TicketNote]:
    """The ticket's mirrored notes, newest first, narrowed to one placement or source."""
    notes = TicketNote.objects.filter(connection=connection, ticket_psa_id=ticket_id)
    return list(notes.filter(**SHOW_FILTERS.get(show, {})).order_by("-date_created", "-psa_id"))


def new_notes_of(ticket_id: int) -> Q:
    """The outbox changes that are new notes for the ticket (the ticket's page reads them in
    one query with its own changes)."""
    return Q(kind="ticket_notes", changes__ticketId=ticket_id)


def pending_notes(*, connection: Connection, ticket_id: int) -> list[PendingChange]:
    """New notes for the ticket still in the outbox (waiting, failed)."""
    return list(
        PendingChange.objects.filter(
            new_notes_of(ticket_id), connection=connection, status__in=PendingChange.OPEN
        ).order_by("created_at", "id")
    )


# -- refreshing ----------------------------------------------------------------------------


def notes_refresh_start(*, connection: Connection, ticket_id: int, user, result_url: str) -> Job:
    """Queue a live read of the ticket's notes; returns its Job."""
    from psaportal.records.notes import tasks

    return job_services.job_start(
        kind=REFRESH_JOB,
        label=f"Refresh the notes of ticket #{int(ticket_id)}",
        user=user,
        task=tasks.ticket_notes_refresh,
        args=(connection.pk, int(ticket_id)),
        result_url=result_url,
    )


def notes_refresh_run(*, connection_id: int, ticket_id: int) -> str:
    """Read ``allNotes`` of the ticket through the proxy and make the mirror hold exactly
    those notes; a ticket the PSA no longer has loses its notes."""
    connection = Connection.objects.get(pk=connection_id)
    # Taken before the read: a note the outbox stores meanwhile is newer and stays.
    synced_at = database_now()
    try:
        entries = _all_notes(connection.membrane_id, ticket_id)
    except (NotFoundError, PsaError) as error:
        if error.status != 404:
            raise
        TicketNote.objects.filter(connection_id=connection_id, ticket_psa_id=ticket_id).delete()
        return f"Ticket #{ticket_id} no longer exists in the PSA."
    rows = [
        TicketNote(connection_id=connection_id, synced_at=synced_at, **values)
        for entry in entries
        if (values := _note_values(entry, ticket_id=ticket_id)) is not None
    ]
    with transaction.atomic():
        _upsert(rows)
        TicketNote.objects.filter(
            connection_id=connection_id, ticket_psa_id=ticket_id, synced_at__lt=synced_at
        ).delete()
    return f"{len(rows)} note{'' if len(rows) == 1 else 's'} on ticket #{ticket_id}."


def _all_notes(membrane_id: str, ticket_id: int) -> list[dict]:
    client = membrane_client()
    path = f"/service/tickets/{int(ticket_id)}/allNotes"
    entries: list = []
    for page in range(1, MAX_PAGES + 1):
        answer = client.proxy(membrane_id, "GET", path, query={"page": page, "pageSize": PAGE_SIZE})
        body = answer.json()
        if not isinstance(body, list):
            raise MalformedResponseError(
                "ConnectWise PSA answered allNotes with something not a list."
            )
        entries += body
        if len(body) < PAGE_SIZE:
            return entries
    raise NotesProblem(f"Ticket #{ticket_id} has more notes than the dashboard reads.")


def note_store(*, connection_id: int, record: dict) -> None:
    """Keep a note the PSA just created (its ServiceNote answer) in the mirror."""
    values = _note_values({**record, "noteType": "TicketNote"}, ticket_id=record.get("ticketId"))
    if values is not None:
        _upsert([TicketNote(connection_id=connection_id, synced_at=database_now(), **values)])


def _upsert(rows: list[TicketNote]) -> None:
    TicketNote.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["connection", "source", "psa_id"],
        update_fields=[
            "ticket_psa_id", "text", *FLAG_FIELDS.values(), "member_identifier", "member_name",
            "created_by", "date_created", "synced_at",
        ],
    )  # fmt: skip


def _note_values(entry, *, ticket_id) -> dict | None:
    """A TicketNote's fields from an allNotes entry (ServiceTicketNote) or a ServiceNote;
    None for what is not a note of a known type."""
    if not isinstance(entry, dict) or entry.get("noteType") not in NOTE_TYPES:
        return None
    note_id = whole(entry.get("id"))
    if note_id is None or not isinstance(ticket_id, int):
        return None
    member = entry.get("member") if isinstance(entry.get("member"), dict) else {}
    info = entry.get("_info") if isinstance(entry.get("_info"), dict) else {}
    created = (
        datetime_field(entry, "dateCreated")
        or datetime_field(entry, "timeStart")
        or parse_datetime(info.get("dateEntered"))
        or parse_datetime(info.get("lastUpdated"))
    )
    text = entry.get("text")
    author = entry.get("createdBy") or entry.get("originalAuthor")
    return {
        "ticket_psa_id": ticket_id,
        "source": NOTE_TYPES[entry["noteType"]],
        "psa_id": note_id,
        "text": text if isinstance(text, str) else "",
        **{field: entry.get(flag) is True for flag, field in FLAG_FIELDS.items()},
        "member_identifier": str(member.get("identifier") or "")[:100],
        "member_name": str(member.get("name") or "")[:255],
        "created_by": str(author or "")[:100],
        "date_created": created,
    }
