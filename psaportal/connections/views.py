"""The connect wizard: one page whose status section updates itself by HTMX polling."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from psaportal.accounts import roles
from psaportal.connections import selectors, services
from psaportal.jobs import dispatch


def _status(request, status=200):
    context = {"wizard": selectors.connection_wizard(user=request.user)}
    template = "connections/page.html#status" if request.htmx else "connections/page.html"
    return render(request, template, context, status=status)


@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def connection_page(request):
    """The whole page, or just its status section for HTMX polling."""
    dispatch.resume_due()  # in-process: the poller's next look at Membrane, when it is due
    return _status(request)


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def connection_connect(request):
    services.connection_connect_start(user=request.user, intent=request.POST.get("intent", ""))
    if request.htmx:
        return _status(request)
    return redirect("connections:page")


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def connection_check(request):
    connection = selectors.connection_current()
    if connection is not None:
        services.connection_check_start(user=request.user, connection=connection)
    if request.htmx:
        return _status(request)
    return redirect("connections:page")
