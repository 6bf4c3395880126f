"""The dashboard home, the health check and the error pages."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from psaportal import health
from psaportal.accounts import roles
from psaportal.connections.selectors import connection_ready_of_request
from psaportal.jobs.models import Job
from psaportal.jobs.selectors import jobs_stuck
from psaportal.records import selectors
from psaportal.records.changes import selectors as change_selectors
from psaportal.records.sync import status as sync_status


def home(request):
    """Where each role starts the day: a technician's own tickets, hours and changes; an
    admin's connection, syncs and stuck work. Managers start on their reports."""
    connection = connection_ready_of_request(request)
    # Until the PSA is connected there is nothing to report on, and home shows the state.
    if roles.role_held(request.user) == roles.MANAGER and connection is not None:
        return redirect("reports:dashboard")
    context = {"recent_jobs": Job.objects.filter(started_by=request.user)[:5]}
    if connection is not None and request.user.has_perm(roles.EDIT_RECORDS):
        member = selectors.member_for_user(connection=connection, user=request.user)
        context["my_work"] = (
            selectors.my_work(connection=connection, member=member, today=timezone.localdate())
            if member is not None
            else {}  # shown as "no PSA member is you"
        )
        context["my_changes"] = change_selectors.open_change_counts(user=request.user)
    if connection is not None and request.user.has_perm(roles.MANAGE_CONNECTION):
        context["sync_health"] = sync_status.sync_health(connection=connection)
        context["stuck_jobs"] = jobs_stuck()
    return render(request, "home.html", context)


@login_not_required  # a load balancer asks without a session
@never_cache
@require_GET
def healthz(request):
    """JSON with each check's state: 200 when all pass, 503 otherwise. ``?checks=`` names
    the ones to run (comma-separated), e.g. ``database,redis`` for a web machine that should
    stay in the pool while workers are down; the default runs them all."""
    wanted = request.GET.get("checks", "")
    names = [name.strip() for name in wanted.split(",") if name.strip()] or list(health.CHECKS)
    unknown = [name for name in names if name not in health.CHECKS]
    if unknown:
        return JsonResponse(
            {"error": f"unknown check(s); known: {', '.join(health.CHECKS)}"}, status=400
        )
    checks = health.health_report(names=names)
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks},
        status=200 if healthy else 503,
    )


def _error(request, status: int, title: str, message: str):
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _error(
        request,
        403,
        "Not allowed",
        "Your role does not give access to this page. Ask an admin if you need it.",
    )


def page_not_found(request, exception=None):
    return _error(request, 404, "Not found", "There is nothing at this address.")


def server_error(request):
    # No request context here: the failure may have come from a context processor.
    return HttpResponseServerError(get_template("500.html").render())
