"""The dashboard home and the error pages."""

from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template.loader import get_template

from psaportal.accounts import roles
from psaportal.connections.selectors import connection_ready
from psaportal.jobs.models import Job


def home(request):
    # Managers start on their reports; until the PSA is connected there is nothing to
    # report on, and home is where the connection's state shows.
    if roles.role_held(request.user) == roles.MANAGER and connection_ready() is not None:
        return redirect("reports:dashboard")
    recent_jobs = Job.objects.filter(started_by=request.user)[:5]
    return render(request, "home.html", {"recent_jobs": recent_jobs})


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
