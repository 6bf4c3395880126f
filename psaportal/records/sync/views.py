"""The sync status page (admins): each kind's mirror, syncs under way, history; and
starting a sync of one kind or of everything."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.connections.decorators import require_connection
from psaportal.htmx import partial_wanted
from psaportal.jobs.views import job_started
from psaportal.records.sync import services, status
from psaportal.records.sync.forms import SyncRequestForm


@require_GET
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def sync_status(request, connection):
    if partial_wanted(request):
        runs = status.sync_history(connection=connection)
        return render(request, "records/sync.html#history", {"runs": runs})
    return render(request, "records/sync.html", status.sync_status(connection=connection))


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
@require_connection
def sync_start(request, connection):
    """Start a full or incremental sync of one kind or of all of them."""
    sync_url = reverse("records:sync")
    form = SyncRequestForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, "records/sync.html#sync-error", {"error": form.first_error()})
        messages.error(request, form.first_error())
        return redirect(sync_url)
    job = services.sync_start(
        connection=connection,
        kinds=form.kinds(),
        mode=form.cleaned_data["mode"],
        user=request.user,
        result_url=sync_url,
    )
    return job_started(request, job=job, fallback_url=sync_url)
