"""Editing a record, and the outbox's pages: a record's open changes and "My changes"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psaportal.accounts import roles
from psaportal.connections.decorators import require_connection
from psaportal.htmx import partial_wanted
from psaportal.jobs.views import job_started
from psaportal.records import registry
from psaportal.records.changes import selectors, services
from psaportal.records.changes.forms import (
    BulkEditForm,
    RecordEditForm,
    TicketCreateForm,
    TicketRowForm,
    TimeEntryForm,
)
from psaportal.records.changes.rows import INLINE_FIELDS, list_rows_html, row_dom_id
from psaportal.records.forms import ListQueryForm
from psaportal.records.list_state import list_url
from psaportal.records.models import PendingChange, RecordDocument
from psaportal.records.selectors import record_list, record_row


def _editable_document(*, connection, kind: registry.RecordKind, psa_id: int) -> RecordDocument:
    if not kind.editable_fields:
        raise Http404(f"{kind.plural.capitalize()} cannot be edited here.")
    return get_object_or_404(RecordDocument, connection=connection, kind=kind.key, psa_id=psa_id)


def _own_change(request, change_id: int) -> PendingChange:
    """A change the user may act on: their own, or any change for an admin."""
    changes = PendingChange.objects.all()
    if not request.user.has_perm(roles.MANAGE_CONNECTION):
        changes = changes.filter(author=request.user)
    return get_object_or_404(changes, pk=change_id)


@require_http_methods(["GET", "POST"])
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def record_edit(request, kind: registry.RecordKind, psa_id: int, connection):
    """The edit form; a valid change is stored in the outbox and sent by a task."""
    document = _editable_document(connection=connection, kind=kind, psa_id=psa_id)
    detail_url = reverse("records:detail", args=[kind.key, psa_id])
    earlier = None
    if request.method == "GET" and request.GET.get("change", "").isdigit():
        earlier = _own_change(request, int(request.GET["change"]))
    form = RecordEditForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        record=document.data,
        connection=connection,
        initial=earlier.changes if earlier else None,
    )
    if request.method == "POST" and form.is_valid():
        if form.save_change(psa_id=psa_id, user=request.user):
            messages.success(request, "Your change is saved and on its way to the PSA.")
            return redirect(detail_url)
        form.add_error(None, "Nothing was changed.")
    context = {
        "kind": kind,
        "psa_id": psa_id,
        "title": _record_title(document.data) or f"#{psa_id}",
        "form": form,
        "detail_url": detail_url,
        "earlier_rows": selectors.change_rows([earlier]) if earlier else [],
    }
    return render(request, "records/edit.html", context)


def _record_title(record: dict) -> str:
    """What a record is called: a ticket's summary, a name, or a contact's two names."""
    names = (record.get("firstName"), record.get("lastName"))
    return (
        record.get("summary")
        or record.get("name")
        or " ".join(name for name in names if isinstance(name, str) and name)
    )


def _back(request, change: PendingChange):
    target = request.POST.get("next", "")
    # Only a path on this site; not redirect(), which takes any other text for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(selectors.change_record_url(change) or reverse("records:changes"))


@require_POST
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
def change_retry(request, change_id: int):
    change = services.pending_change_retry(
        change=_own_change(request, change_id), user=request.user
    )
    messages.info(request, f"Sending change #{change.pk} again.")
    return _back(request, change)


@require_POST
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
def change_apply_anyway(request, change_id: int):
    change = _own_change(request, change_id)
    services.pending_change_retry(change=change, user=request.user, force=True)
    messages.info(request, f"Sending change #{change.pk} over the newer values in the PSA.")
    return _back(request, change)


@require_POST
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
def change_discard(request, change_id: int):
    change = _own_change(request, change_id)
    services.pending_change_discard(change=change, user=request.user)
    messages.info(request, f"Discarded change #{change.pk}.")
    return _back(request, change)


@require_GET
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
def my_changes(request):
    rows = selectors.my_changes(user=request.user)
    return render(request, "records/changes.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def ticket_create(request, connection):
    """A new ticket, stored in the outbox and created by a task; the same form sent twice
    creates one ticket."""
    form = TicketCreateForm(
        request.POST if request.method == "POST" else None, connection=connection
    )
    if request.method == "POST" and form.is_valid():
        services.record_create(
            connection=connection,
            kind=registry.get_kind("tickets"),
            action_input=form.action_input(),
            idempotency_key=form.cleaned_data["idempotency_key"],
            user=request.user,
            summary=f"New ticket: {form.cleaned_data['summary']}",
        )
        messages.success(request, "The new ticket is saved and on its way to the PSA.")
        return redirect("records:changes")
    return render(request, "records/ticket_create.html", {"form": form})


@require_GET
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def ticket_create_contacts(request, connection):
    """The contact choices of the chosen company (swapped into the form by HTMX)."""
    form = TicketCreateForm(request.GET, connection=connection)
    return render(request, "records/ticket_create.html#contact-field", {"form": form})


@require_http_methods(["GET", "POST"])
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def time_log(request, psa_id: int, connection):
    """Log time on a ticket: a new time entry charged to it, through the outbox."""
    ticket = _editable_document(
        connection=connection, kind=registry.get_kind("tickets"), psa_id=psa_id
    )
    form = TimeEntryForm(request.POST if request.method == "POST" else None, connection=connection)
    if request.method == "POST" and form.is_valid():
        services.record_create(
            connection=connection,
            kind=registry.get_kind("time_entries"),
            action_input=form.time_entry(ticket_id=psa_id),
            idempotency_key=form.cleaned_data["idempotency_key"],
            user=request.user,
            summary=f"Time on ticket #{psa_id}",
        )
        messages.success(request, "Your time is saved and on its way to the PSA.")
        return redirect("records:detail", kind="tickets", psa_id=psa_id)
    context = {"form": form, "ticket": ticket.data, "psa_id": psa_id}
    return render(request, "records/time_log.html", context)


#: The most tickets one bulk edit changes (a filter matching more is refused, with why).
BULK_MAX = 2000


def _bulk_targets(*, form, list_form, connection, kind) -> list[int]:
    """The ticket ids a valid bulk form applies to; refusals become the form's errors."""
    if not form.is_valid():
        return []
    if form.cleaned_data["scope"] == "selected":
        psa_ids = form.cleaned_data["ids"]
    elif list_form.notices():
        # The list would not take its own filter as shown: never widen a bulk change.
        form.add_error(
            None, "The list's filters changed meanwhile; reload the list and choose again."
        )
        return []
    else:
        state = list_form.list_state()
        matching = record_list(connection=connection, kind=kind, state=state, fields=["psa_id"])
        psa_ids = list(matching.values_list("psa_id", flat=True)[: BULK_MAX + 1])
    if len(psa_ids) > BULK_MAX:
        form.add_error(None, f"This list matches more than {BULK_MAX:,} tickets; narrow it.")
    return psa_ids


@require_POST
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def bulk_edit(request, connection):
    """Set status, priority, owner or board of the ticked tickets (or all the list matches);
    answers with the job's progress, which reloads the list when done."""
    kind = registry.get_kind("tickets")
    form = BulkEditForm(request.POST, connection=connection)
    list_form = ListQueryForm.posted(request.POST, connection=connection, kind=kind)
    back = list_url(kind_key=kind.key, state=list_form.list_state())
    psa_ids = _bulk_targets(form=form, list_form=list_form, connection=connection, kind=kind)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        if request.htmx:
            return render(request, "records/list.html#bulk-errors", {"form": form})
        return redirect(back)
    job = services.bulk_change_start(
        connection=connection,
        kind=kind,
        psa_ids=psa_ids,
        changes=form.changes(),
        user=request.user,
        result_url=back,
    )
    return job_started(request, job=job, fallback_url=back)


@require_http_methods(["GET", "POST"])
@permission_required(roles.EDIT_RECORDS, raise_exception=True)
@require_connection
def ticket_row_edit(request, psa_id: int, connection):
    """A ticket's row in the list with its status, priority and owner as choices; saving
    stores the change in the outbox and swaps the row back in, the new values pending."""
    kind = registry.get_kind("tickets")
    document = _editable_document(connection=connection, kind=kind, psa_id=psa_id)
    if request.method == "GET" and not partial_wanted(request):
        return redirect("records:edit", kind=kind.key, psa_id=psa_id)
    form = TicketRowForm(
        request.POST if request.method == "POST" else None,
        record=document.data,
        connection=connection,
    )
    if request.method == "POST" and form.is_valid():
        form.save_change(psa_id=psa_id, user=request.user)
        if not request.htmx:
            return redirect("records:list", kind=kind.key)
        return row_response(request, connection=connection, kind=kind, psa_id=psa_id)
    row = record_row(connection=connection, kind=kind, psa_id=psa_id) or {"psa_id": psa_id}
    context = {
        "kind": kind,
        "psa_id": psa_id,
        "dom_id": row_dom_id(kind, psa_id),
        "form": form,
        "cells": _row_edit_cells(kind=kind, row=row, form=form),
        "bulk": True,  # whoever may edit in the row also has the bulk checkboxes
    }
    # Bad input (a status that is not one) is refused with its words; the row shows them.
    status = 400 if request.method == "POST" else 200
    return render(request, "records/list.html#row-edit", context, status=status)


def _row_edit_cells(*, kind: registry.RecordKind, row: dict, form) -> list[dict]:
    """The row's cells in column order: a choice for each inline field, else the value."""
    fields_by_column = {column: path for path, (column, _) in INLINE_FIELDS.items()}
    return [
        {
            "field": form[fields_by_column[column.name]]
            if column.name in fields_by_column
            else None,
            "value": row.get(column.name),
        }
        for column in kind.columns
    ]


def row_response(request, *, connection, kind: registry.RecordKind, psa_id: int):
    """The record's list row (``<tr>``), polling while its change is on its way."""
    row = record_row(connection=connection, kind=kind, psa_id=psa_id)
    if row is None:
        # Gone from the mirror: the row says so (htmx does not swap a 404).
        return render(request, "records/list.html#row-gone", {"kind": kind, "psa_id": psa_id})
    rows_html = list_rows_html(
        connection=connection, kind=kind, rows=[row], user=request.user, poll=True
    )
    return HttpResponse(rows_html)
