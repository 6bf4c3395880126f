"""Record lists, detail pages, saved views, CSV export, refresh buttons and the sync page.

Each view parses the request (the kind comes from the URL converter, the connection from
``@require_connection``, query strings through ``forms``), calls a selector or a service, and
renders one template: the whole page for a normal request, just the swapped fragment for an
HTMX one.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.connections.decorators import require_connection
from psaportal.htmx import partial_wanted
from psaportal.jobs.views import job_started
from psaportal.records import export, registry, saved_views, selectors
from psaportal.records.changes import selectors as change_selectors
from psaportal.records.changes.forms import BulkEditForm
from psaportal.records.changes.views import row_response
from psaportal.records.forms import ListQueryForm, SavedViewForm
from psaportal.records.list_state import list_url
from psaportal.records.notes.views import notes_context
from psaportal.records.sync import services as sync_services


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def record_list(request, kind: registry.RecordKind, connection):
    form = ListQueryForm(request.GET, connection=connection, kind=kind)
    context = selectors.record_list_context(
        connection=connection,
        kind=kind,
        state=form.list_state(),
        notices=form.notices(),
        user=request.user,
    )
    if partial_wanted(request):
        # The list's own refresh while a sync runs (#list-poll) adds no history entry and
        # is not read out; a person's search, filter or page is.
        own_refresh = request.htmx.trigger == "list-poll"
        response = render(
            request,
            "records/list.html#rows",
            {**context, "rows_only": True, "announce": not own_refresh},
        )
        # The clean state (bad parts dropped, blanks left out) is what the address bar keeps.
        if not own_refresh:
            response["HX-Push-Url"] = context["canonical_url"]
        return response
    if context["bulk"]:
        # A callable, so the choices are read only where the template shows the form.
        context["bulk_form"] = functools.partial(BulkEditForm, connection=connection)
    return render(request, "records/list.html", context)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def list_refresh(request, kind: registry.RecordKind, connection):
    """Start an incremental sync of this kind; the table is swapped in when it is done."""
    state = ListQueryForm.posted(request.POST, connection=connection, kind=kind).list_state()
    result_url = list_url(kind_key=kind.key, state=state)
    job = sync_services.sync_start(
        connection=connection,
        kinds=[kind],
        mode="incremental",
        user=request.user,
        result_url=result_url,
    )
    return job_started(request, job=job, fallback_url=result_url)


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def record_export(request, kind: registry.RecordKind, connection):
    """The current list, every matching row, as CSV streamed in chunks."""
    state = ListQueryForm(request.GET, connection=connection, kind=kind).list_state()
    response = StreamingHttpResponse(
        export.csv_lines(connection=connection, kind=kind, state=state),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(kind=kind)}"'
    return response


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def record_detail(request, kind: registry.RecordKind, psa_id: int, connection):
    context = selectors.record_detail_context(connection=connection, kind=kind, psa_id=psa_id)
    if context is None:
        if request.htmx:
            # The section being refreshed says why it is gone (htmx does not swap a 404).
            return render(request, "records/detail.html#record-gone", {"kind": kind})
        raise Http404("No such record in the mirror.")
    if partial_wanted(request):
        return render(request, "records/detail.html#record", context)
    changes, note_changes = change_selectors.record_open_changes(
        connection=connection, kind=kind, psa_id=psa_id
    )
    context["changes"] = change_selectors.change_rows(changes)
    if kind.key == "tickets":
        context.update(
            notes_context(
                request=request, connection=connection, psa_id=psa_id, pending=note_changes
            )
        )
    return render(request, "records/detail.html", context)


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def record_row(request, kind: registry.RecordKind, psa_id: int, connection):
    """One row of the list, as HTMX swaps it in (a row with a change on its way polls it)."""
    if not partial_wanted(request):
        return redirect("records:detail", kind=kind.key, psa_id=psa_id)
    return row_response(request, connection=connection, kind=kind, psa_id=psa_id)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def detail_refresh(request, kind: registry.RecordKind, psa_id: int, connection):
    """Re-fetch one record live from the PSA in a task; the section is swapped in when done."""
    detail_url = reverse("records:detail", args=[kind.key, psa_id])
    job = sync_services.record_refresh(
        connection=connection,
        kind=kind,
        psa_id=psa_id,
        user=request.user,
        result_url=detail_url,
    )
    return job_started(request, job=job, fallback_url=detail_url)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@require_connection
def saved_view_create(request, kind: registry.RecordKind, connection):
    """Save the list state posted in ``query`` under a name; back to that list."""
    state = ListQueryForm.posted(request.POST, connection=connection, kind=kind).list_state()
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return redirect(list_url(kind_key=kind.key, state=state))
    try:
        saved = saved_views.saved_view_save(
            user=request.user, kind=kind, name=form.cleaned_data["name"], state=state
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Saved the view “{saved.name}”.")
    return redirect(list_url(kind_key=kind.key, state=state))


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def saved_view_delete(request, kind: registry.RecordKind, view_id: int):
    saved = get_object_or_404(selectors.saved_view_list(user=request.user, kind=kind), pk=view_id)
    saved_views.saved_view_delete(saved_view=saved)
    messages.success(request, f"Deleted the view “{saved.name}”.")
    return redirect("records:list", kind=kind.key)
