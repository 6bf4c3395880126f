import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from psaportal.accounts import roles
from psaportal.connections.models import Connection
from psaportal.connections.services import CHECK_JOB, JOB_KINDS
from psaportal.jobs.models import Job
from psaportal.jobs.services import UNFINISHED
from psaportal.records.sync.services import SYNC_JOB


def connection_current() -> Connection | None:
    """The team's PSA connection: the newest one (a portal serves one PSA account)."""
    return Connection.objects.order_by("-created_at").first()


def connection_ready() -> Connection | None:
    return _if_ready(connection_current())


def _if_ready(connection: Connection | None) -> Connection | None:
    return connection if connection is not None and connection.is_ready else None


def connection_of_request(request) -> Connection | None:
    """connection_current(), read once a request: a page's decorator, view and context
    processors all ask for it."""
    if not hasattr(request, "_psa_connection"):
        request._psa_connection = connection_current()
    return request._psa_connection


def connection_ready_of_request(request) -> Connection | None:
    """connection_ready(), read once a request."""
    return _if_ready(connection_of_request(request))


def connection_job_latest() -> Job | None:
    """The newest connect or check job: its progress or failure is part of the wizard."""
    return Job.objects.filter(kind__in=JOB_KINDS).order_by("-created_at", "-id").first()


def connection_wizard(*, user) -> dict:
    """Everything the connect wizard shows, read from our own tables (no network)."""
    connection = connection_current()
    job = connection_job_latest()
    job_busy = job is not None and not job.is_finished
    # A failed job matters until Membrane has been heard from again since it started.
    job_failed = (
        job is not None
        and job.status == Job.Status.FAILED
        and (
            connection is None
            or connection.last_checked_at is None
            or connection.last_checked_at < job.created_at
        )
    )
    client_action = (connection.client_action or {}) if connection is not None else {}
    ui_url = client_action.get("uiUrl")
    state = connection.state if connection is not None else ""
    sync_job = (
        Job.objects.filter(kind=SYNC_JOB, status__in=UNFINISHED, sync_runs__connection=connection)
        .order_by("-created_at")
        .first()
        if connection is not None
        else None
    )
    return {
        "connection": connection,
        "job": job,
        "job_busy": job_busy,
        "job_stalled": job_busy
        and job.status == Job.Status.QUEUED
        and timezone.now() - job.created_at > timedelta(seconds=30),
        "job_failed": job_failed,
        "job_failed_check": job_failed and job.kind == CHECK_JOB,
        "state": state,
        "client_action": client_action,
        "action_type": client_action.get("type") or "connect",
        "ui_url": ui_url if isinstance(ui_url, str) else "",
        "ui_link": safe_ui_url(ui_url),
        "sync_start_url": _url_or_none("records:sync_start"),
        "sync_page_url": _url_or_none("records:sync"),
        "ticket_list_url": _url_or_none("records:list", args=["tickets"]),
        "sync_job": sync_job,
        # While the records arrive the page keeps polling, to show how far the sync is and
        # to say when it is done.
        "polling": job_busy
        or sync_job is not None
        or state in (Connection.State.BUILDING, Connection.State.CLIENT_ACTION_REQUIRED),
    }


def connection_banner(*, request) -> Connection | None:
    """The connection to warn an admin about on every page: one that stopped working."""
    if not request.user.has_perm(roles.MANAGE_CONNECTION):
        return None
    connection = connection_of_request(request)
    return connection if connection is not None and connection.is_disconnected else None


def safe_ui_url(url) -> str | None:
    """``url`` if it is safe to render as a link, else None.

    Membrane's ``uiUrl`` is data from outside: only https links with a host (no user info);
    plain http only in DEBUG, to this machine, while Membrane itself is a local sandbox.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 2048 or any(_is_control(char) for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if not host or parts.username is not None or parts.password is not None or "\\" in url:
        return None
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and settings.DEBUG and _is_loopback(host) and _sandbox_is_local():
        return url
    return None


def _is_control(char: str) -> bool:
    return char.isspace() or ord(char) < 32 or 127 <= ord(char) < 160


def _sandbox_is_local() -> bool:
    try:
        host = urlsplit(settings.MEMBRANE_API_URL).hostname
    except ValueError:
        return False
    return bool(host) and _is_loopback(host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_or_none(name: str, args=None) -> str | None:
    """The URL of a page another app may not have built yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None
