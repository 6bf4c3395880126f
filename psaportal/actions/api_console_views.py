"""The PSA API console (admins): send a request to the ConnectWise PSA API through
Membrane's proxy and read the answer; writes are confirmed first and audit-logged."""

from __future__ import annotations

from http import HTTPStatus

import httpx
import orjson
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from psaportal.actions import display, forms, selectors, services
from psaportal.actions.models import ProxyRequest
from psaportal.actions.views import console_view
from psaportal.jobs.views import job_started


def _initial_from(request_row: ProxyRequest) -> dict:
    return forms.api_request_initial(
        method=request_row.method,
        path=request_row.path,
        query=request_row.query,
        headers=request_row.headers,
        body=request_row.body,
    )


@require_GET
@console_view
def console(request, connection):
    initial = {}
    if request.GET.get("from", "").isdigit():
        earlier = ProxyRequest.objects.filter(pk=request.GET["from"]).first()
        initial = _initial_from(earlier) if earlier is not None else {}
    context = {"form": forms.ApiRequestForm(initial=initial or None)}
    return render(request, "api_console/console.html", context)


@require_POST
@console_view
def send(request, connection):
    """Check the request; a write asks for confirmation first; then send it in a task."""
    form = forms.ApiRequestForm(request.POST)
    template = (
        "api_console/console.html#request-form" if request.htmx else "api_console/console.html"
    )
    if not form.is_valid():
        return render(request, template, {"form": form})
    if form.needs_confirmation:
        return render(request, template, {"form": form, "confirm": True})
    sent = services.proxy_request_start(
        connection=connection,
        user=request.user,
        method=form.cleaned_data["method"],
        path=form.cleaned_data["path"],
        query=form.query(),
        headers=form.cleaned_data["headers"],
        body=form.cleaned_data["body"],
    )
    if request.htmx:
        fresh = forms.ApiRequestForm(initial=_initial_from(sent))
        return render(request, "api_console/console.html#sent", {"form": fresh, "sent": sent})
    return job_started(
        request, job=sent.job, fallback_url=reverse("api_console:detail", args=[sent.pk])
    )


@require_POST
@console_view
def follow(request, request_id: int, connection):
    """Send the GET a Link header names (``rel`` next, prev, first or last)."""
    earlier = get_object_or_404(ProxyRequest, pk=request_id)
    target = _links(earlier).get(request.POST.get("rel", ""))
    if target is None:
        return render(request, "api_console/response.html#response", _response_context(earlier))
    path, query = target
    sent = services.proxy_request_start(
        connection=connection,
        user=request.user,
        method="GET",
        path=path,
        query=query,
        headers=earlier.headers,
        body="",
    )
    return job_started(
        request, job=sent.job, fallback_url=reverse("api_console:detail", args=[sent.pk])
    )


def _links(request_row: ProxyRequest) -> dict[str, tuple[str, list]]:
    """The Link header's PSA pages by rel, as (path, query)."""
    header = ", ".join(
        value for name, value in request_row.response_headers or [] if name.lower() == "link"
    )
    if not header:
        return {}
    found = {}
    for link in httpx.Response(200, headers={"link": header}).links.values():
        target = services.psa_link_target(str(link.get("url", "")))
        if target is not None and link.get("rel"):
            found[str(link["rel"])] = target
    return found


def _response_context(request_row: ProxyRequest) -> dict:
    limit = settings.CONSOLE_DISPLAY_LIMIT_BYTES
    too_large = (request_row.response_size or 0) > limit
    context = {
        "sent": request_row,
        "too_large": too_large,
        "limit_label": services.size_label(limit),
        "size_label": services.size_label(request_row.response_size),
        "links": [rel for rel in ("first", "prev", "next", "last") if rel in _links(request_row)],
        "is_write": request_row.method in services.WRITE_METHODS,
    }
    if request_row.status != ProxyRequest.Status.SUCCEEDED:
        return context
    try:
        parsed = orjson.loads(request_row.response_body) if request_row.response_body else None
    except ValueError:
        parsed = None
        context["body_text"] = request_row.response_body
    context["status_phrase"] = _status_phrase(request_row.response_status)
    context["problem"] = _problem(request_row, parsed)
    if not too_large and parsed is not None:
        context["tree"] = display.json_tree(parsed)
        context["body_text"] = display.pretty_json(parsed)
        context["table"] = display.record_table(parsed)
    return context


def _status_phrase(status: int | None) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _problem(request_row: ProxyRequest, body) -> str:
    """What an error answer means, in words: the PSA's message and field errors."""
    status = request_row.response_status or 0
    if status < 400:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    details = [
        f"{error.get('field')}: {error.get('message') or 'is invalid'}"
        for error in (body.get("errors") or [] if isinstance(body, dict) else [])
        if isinstance(error, dict) and error.get("field")
    ]
    said = " ".join(part for part in [str(message or "").strip(), "; ".join(details)] if part)
    if status == 429:
        wait = next(
            (
                value
                for name, value in request_row.response_headers
                if name.lower() == "retry-after"
            ),
            "",
        )
        when = f"after {wait} seconds" if wait else "in a little while"
        return f"ConnectWise PSA is throttling requests. Send it again {when}. {said}".strip()
    if status == 404:
        where = request_row.path
        return f"ConnectWise PSA has nothing at {where}. Check the path and id. {said}".strip()
    if status >= 500:
        return f"ConnectWise PSA failed to answer; this is usually temporary. {said}".strip()
    if status in (401, 403):
        return (
            "ConnectWise PSA refused access; the connection's PSA member may lack the "
            f"permission. {said}"
        ).strip()
    return f"ConnectWise PSA rejected the request. {said}".strip()


@require_GET
@console_view
def response(request, request_id: int, connection):
    """The PSA's answer: the fragment a finished job loads in place."""
    request_row = get_object_or_404(ProxyRequest, pk=request_id)
    return render(request, "api_console/response.html#response", _response_context(request_row))


@require_GET
@console_view
def detail(request, request_id: int, connection):
    request_row = get_object_or_404(
        ProxyRequest.objects.select_related("started_by"), pk=request_id
    )
    return render(request, "api_console/response.html", _response_context(request_row))


@require_GET
@console_view
def download(request, request_id: int, connection):
    request_row = get_object_or_404(ProxyRequest, pk=request_id)
    content_type = next(
        (value for name, value in request_row.response_headers if name.lower() == "content-type"),
        "application/octet-stream",
    )
    # Never the PSA's own type as such: an HTML answer must not render on our site.
    is_json = "json" in content_type.lower()
    extension = "json" if is_json else "txt"
    response = HttpResponse(
        request_row.response_body,
        content_type="application/json" if is_json else "text/plain; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="psa-api-answer-{request_row.pk}.{extension}"'
    )
    return response


@require_GET
@console_view
def history(request, connection):
    return render(
        request, "api_console/history.html", {"requests": selectors.proxy_request_history()}
    )
