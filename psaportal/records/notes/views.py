"""The notes section of a ticket's page: the mirrored notes, their refresh, "Add note"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.connections.decorators import require_connection
from psaportal.htmx import partial_wanted
from psaportal.jobs.views import job_started
from psaportal.records import registry
from psaportal.records.changes import selectors as change_selectors
from psaportal.records.changes import services as change_services
from psaportal.records.changes.views import _own_change
from psaportal.records.models import Ticket
from psaportal.records.notes import services
from psaportal.records.notes.forms import NoteForm


def _ticket(connection, psa_id: int) -> Ticket:
    return get_object_or_404(Ticket, connection=connection, psa_id=psa_id)


def _ticket_url(psa_id: int, show: str = "") -> str:
    query = f"?notes={show}" if show in services.SHOW_FILTERS else ""
    return reverse("records:detail", args=["tickets", psa_id]) + query + "#notes"


def notes_context(*, request, connection, psa_id: int, pending: list) -> dict:
    """What the notes section of a ticket's page shows (the ticket page calls this too), with
    ``pending`` the ticket's new notes still in the outbox."""
    show = request.GET.get("notes", "")
    show = show if show in services.SHOW_FILTERS else ""
    context = {
        "ticket_id": psa_id,
        "notes": services.ticket_notes(connection=connection, ticket_id=psa_id, show=show),
        "show": show,
        "shows": [(value, label, _ticket_url(psa_id, value)) for value, label in services.SHOWS],
        "pending_note_rows": change_selectors.change_rows(pending),
    }
    if request.user.has_perm(roles.EDIT_RECORDS):
        context["note_form"] = NoteForm()
    return context


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def ticket_notes(request, psa_id: int, connection):
    """The notes list (HTMX: the fragment; after a refresh, swapped in out of band)."""
    _ticket(connection, psa_id)
    if not partial_wanted(request):
        return redirect(_ticket_url(psa_id, request.GET.get("notes", "")))
    pending = services.pending_notes(connection=connection, ticket_id=psa_id)
    context = notes_context(request=request, connection=connection, psa_id=psa_id, pending=pending)
    if request.GET.get("refreshed"):
        return render(request, "records/detail.html#notes-refreshed", context)
    return render(request, "records/detail.html#notes-list", context)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def notes_refresh(request, psa_id: int, connection):
    """Read the ticket's notes live from the PSA in a task; the list is swapped in when done."""
    _ticket(connection, psa_id)
    result_url = reverse("records:ticket_notes", args=[psa_id]) + "?refreshed=1"
    job = services.notes_refresh_start(
        connection=connection, ticket_id=psa_id, user=request.user, result_url=result_url
    )
    return job_started(request, job=job, fallback_url=_ticket_url(psa_id))


@require_http_methods(["GET", "POST"])
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def note_add(request, psa_id: int, connection):
    """A new note on the ticket, stored in the outbox and POSTed by a task; the same form
    sent twice adds one note. ``?change=N`` fills the form with a note the PSA refused."""
    ticket = _ticket(connection, psa_id)
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            change_services.record_create(
                connection=connection,
                kind=registry.TICKET_NOTES,
                action_input=form.note_input(ticket_id=psa_id),
                idempotency_key=form.cleaned_data["idempotency_key"],
                user=request.user,
                summary=f"Note on ticket #{psa_id}",
            )
            messages.success(request, "Your note is saved and on its way to the PSA.")
            return redirect(_ticket_url(psa_id))
    elif request.GET.get("change", "").isdigit():
        earlier = _own_change(request, int(request.GET["change"]))
        if earlier.kind != registry.TICKET_NOTES.key or earlier.changes.get("ticketId") != psa_id:
            earlier = None
        form = NoteForm.from_change(earlier) if earlier else NoteForm()
    else:
        form = NoteForm()
    context = {"form": form, "ticket": ticket, "psa_id": psa_id, "ticket_url": _ticket_url(psa_id)}
    return render(request, "records/note_add.html", context)
