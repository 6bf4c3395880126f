"""The sync status page (admins): each kind's mirror, syncs under way, history; starting a
sync of one kind or of everything; and reviewing deletions the mass-deletion guard held."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.accounts.audit import record_audit
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
    record_audit(
        user=request.user,
        action="sync.start",
        target_type="job",
        target_id=job.pk,
        summary=job.label,
    )
    return job_started(request, job=job, fallback_url=sync_url)


@require_http_methods(["GET", "POST"])
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
@require_connection
def sync_review(request, connection, run_id):
    """The records a full sync would have deleted past the guard: delete them or keep them."""
    review = services.sync_review(connection=connection, run_id=run_id)
    if review is None:
        raise Http404("No such sync run with deletions to review.")
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in ("delete", "keep"):
            messages.error(request, "Choose “Delete them” or “Keep them”.")
            return redirect(request.path)
        try:
            outcome = services.sync_review_decide(
                run=review["run"], delete=decision == "delete", user=request.user
            )
        except services.SyncProblem as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, outcome)
        return redirect(reverse("records:sync"))
    return render(request, "records/sync_review.html", review)
