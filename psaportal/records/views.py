"""Record lists, detail pages, saved views, CSV export, refresh buttons and the sync page.

Each view parses the request, calls a selector or a service, and renders one template: the
whole page for a normal request, just the swapped fragment for an HTMX one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.connections.selectors import connection_ready
from psaportal.jobs.models import Job
from psaportal.records import detail as record_detail_selectors
from psaportal.records import export, listing, registry, saved_views
from psaportal.records.sync import services as sync_services


def _kind_or_404(key: str) -> registry.RecordKind:
    kind = registry.get_kind(key)
    if kind is None or kind.is_lookup:
        raise Http404("No such record kind.")
    return kind


def _not_connected(request):
    return render(request, "records/not_connected.html", status=200)


def _partial_wanted(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _job_started(request, *, job: Job, fallback_url: str):
    """Show the started job's status (or its page)."""
    if request.htmx:
        return render(request, "jobs/_job.html", {"job": job})
    messages.info(request, f"{job.label or 'The job'} started.")
    return redirect("jobs:detail", job_id=job.pk) if not job.is_finished else redirect(fallback_url)


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@vary_on_headers("HX-Request")
def record_list(request, kind: str):
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    context = listing.list_context(
        connection=connection, kind=kind, query=request.GET, user=request.user
    )
    if _partial_wanted(request):
        response = render(request, "records/list.html#rows", context)
        # The clean state (bad parts dropped, blanks left out) is what the address bar keeps.
        response["HX-Push-Url"] = context["canonical_url"]
        return response
    return render(request, "records/list.html", context)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def list_refresh(request, kind: str):
    """Start an incremental sync of this kind; the table is swapped in when it is done."""
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    state, _ = listing.list_state_from_query(
        connection=connection, kind=kind, query=QueryDict(request.POST.get("query", "")[:2000])
    )
    list_url = reverse("records:list", args=[kind.key])
    result_url = f"{list_url}?{state.to_query()}".rstrip("?")
    job = sync_services.sync_start(
        connection=connection,
        kinds=[kind],
        mode="incremental",
        user=request.user,
        result_url=result_url,
    )
    return _job_started(request, job=job, fallback_url=result_url)


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def record_export(request, kind: str):
    """The current list, every matching row, as CSV streamed in chunks."""
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    state, _ = listing.list_state_from_query(connection=connection, kind=kind, query=request.GET)
    response = StreamingHttpResponse(
        export.csv_lines(connection=connection, kind=kind, state=state),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(kind=kind)}"'
    return response


@require_GET
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
@vary_on_headers("HX-Request")
def record_detail(request, kind: str, psa_id: int):
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    context = record_detail_selectors.detail_context(
        connection=connection, kind=kind, psa_id=psa_id
    )
    if context is None:
        if request.htmx:
            return HttpResponse(
                '<p class="message message-warning" role="status">This record is no longer '
                "in the mirror: the PSA may have deleted it.</p>"
            )
        raise Http404("No such record in the mirror.")
    if _partial_wanted(request):
        return render(request, "records/detail.html#record", context)
    return render(request, "records/detail.html", context)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def detail_refresh(request, kind: str, psa_id: int):
    """Re-fetch one record live from the PSA in a task; the section is swapped in when done."""
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    detail_url = reverse("records:detail", args=[kind.key, psa_id])
    job = sync_services.record_refresh(
        connection=connection,
        kind=kind,
        psa_id=psa_id,
        user=request.user,
        result_url=detail_url,
    )
    return _job_started(request, job=job, fallback_url=detail_url)


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def saved_view_create(request, kind: str):
    kind = _kind_or_404(kind)
    connection = connection_ready()
    if connection is None:
        return _not_connected(request)
    state, _ = listing.list_state_from_query(
        connection=connection, kind=kind, query=QueryDict(request.POST.get("query", "")[:2000])
    )
    saved, error = saved_views.saved_view_save(
        user=request.user, kind=kind, name=request.POST.get("name", ""), state=state
    )
    list_url = reverse("records:list", args=[kind.key])
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Saved the view “{saved.name}”.")
    return redirect(f"{list_url}?{state.to_query()}".rstrip("?"))


@require_POST
@permission_required(roles.VIEW_RECORDS, raise_exception=True)
def saved_view_delete(request, kind: str, view_id: int):
    kind = _kind_or_404(kind)
    saved = get_object_or_404(saved_views.saved_views_for(user=request.user, kind=kind), pk=view_id)
    saved_views.saved_view_delete(saved_view=saved)
    messages.success(request, f"Deleted the view “{saved.name}”.")
    return redirect("records:list", kind=kind.key)
