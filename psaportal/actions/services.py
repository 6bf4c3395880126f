"""The consoles' work: searching actions by intent, running an action, and sending a request
to the PSA API through Membrane's proxy. Each starts as a row plus a Job (``*_start``) and
is done by a task calling the matching ``*_execute``; the row is the console's history.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import orjson
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.actions.models import Action, ActionRun, ActionSearch, ConsoleWork, ProxyRequest
from psaportal.connections.client import describe_error, membrane_client
from psaportal.jobs.services import JobProblem, job_start
from psaportal.membrane import MembraneError, PsaError
from psaportal.membrane.client import PSA_API_ROOT
from psaportal.records.sync.fetch import storable

#: Results asked of Membrane per search (its CLI's default).
SEARCH_LIMIT = 10
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Methods the PSA may receive twice without harm: only these are tried again after a
#: timeout or dropped connection (a POST or PATCH may already have been applied).
IDEMPOTENT_METHODS = ("GET", "PUT", "DELETE")
#: Answer headers never kept or shown: they could carry credentials.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "set-cookie", "cookie", "x-api-key", "clientid"}
)


def _claim(work: ConsoleWork) -> bool:
    """Mark ``work`` running unless it is finished already (a task may run twice)."""
    if work.is_finished:
        return False
    work.status = ConsoleWork.Status.RUNNING
    work.started_at = work.started_at or timezone.now()
    work.save(update_fields=["status", "started_at"])
    return True


def _finish(work: ConsoleWork, *, started: float, fields: list[str]) -> None:
    work.status = ConsoleWork.Status.SUCCEEDED
    work.error = ""
    work.finished_at = timezone.now()
    work.duration_ms = round((time.monotonic() - started) * 1000)
    work.save(update_fields=[*fields, "status", "error", "finished_at", "duration_ms"])


def _queue(work: ConsoleWork, *, kind: str, label: str, task, result_url_name: str) -> None:
    """Give ``work`` (just created, in the caller's transaction) the job that does it."""
    work.job = job_start(
        kind=kind,
        label=label,
        user=work.started_by,
        task=task,
        args=(work.pk,),
        result_url=reverse(result_url_name, args=[work.pk]),
    )
    work.save(update_fields=["job"])


def console_work_fail(*, model: type[ConsoleWork], pk: int, error: str) -> None:
    """Record why a search, run or request could not be done (the job says it too)."""
    model.objects.filter(pk=pk).exclude(status=ConsoleWork.Status.SUCCEEDED).update(
        status=ConsoleWork.Status.FAILED, error=error, finished_at=timezone.now()
    )


def size_label(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# -- search -------------------------------------------------------------------------


def action_search_start(*, connection, intent: str, user) -> ActionSearch:
    """Ask Membrane, in a task, for the connection's actions that fit ``intent``."""
    from psaportal.actions import tasks

    with transaction.atomic():
        search = ActionSearch.objects.create(
            intent=intent, started_by=user, connection_membrane_id=connection.membrane_id
        )
        _queue(search, kind="actions_search", label=f"Find actions: {intent}",
               task=tasks.search_actions, result_url_name="actions:search")  # fmt: skip
    return search


def action_search_execute(*, search_id: int) -> str:
    search = ActionSearch.objects.get(pk=search_id)
    if not _claim(search):
        return _search_summary(search)
    started = time.monotonic()
    items = membrane_client().search_actions(
        connection_id=search.connection_membrane_id, intent=search.intent, limit=SEARCH_LIMIT
    )
    found = [action_upsert(item=item) for item in items if isinstance(item, dict)]
    search.action_ids = [action.pk for action in found if action is not None]
    _finish(search, started=started, fields=["action_ids"])
    return _search_summary(search)


def _search_summary(search: ActionSearch) -> str:
    count = len(search.action_ids)
    return f"{count} action{'s' if count != 1 else ''} found." if count else "No action matched."


def action_upsert(*, item: dict) -> Action | None:
    """Keep Membrane's description of one action (from a search answer)."""
    item = storable(item)
    membrane_id = item.get("id")
    if not isinstance(membrane_id, str) or not membrane_id or len(membrane_id) > 100:
        return None

    def text(name: str, limit: int | None = None) -> str:
        value = item.get(name)
        value = value if isinstance(value, str) else ""
        return value[:limit] if limit else value

    action, _ = Action.objects.update_or_create(
        membrane_id=membrane_id,
        defaults={
            "key": text("key", 200),
            "name": text("name", 300),
            "description": text("description"),
            "input_schema": item.get("inputSchema")
            if isinstance(item.get("inputSchema"), dict)
            else None,
            "output_schema": item.get("outputSchema")
            if isinstance(item.get("outputSchema"), dict)
            else None,
            "state": text("state", 40),
            "seen_at": timezone.now(),
        },
    )
    return action


# -- runs ---------------------------------------------------------------------------


def action_run_start(*, action: Action, connection, action_input: dict, user) -> ActionRun:
    """Run ``action`` with ``action_input`` (already checked against its schema) in a task;
    the run is audit-logged with its input."""
    from psaportal.actions import tasks

    with transaction.atomic():
        run = ActionRun.objects.create(
            action=action,
            action_membrane_id=action.membrane_id,
            action_key=action.key,
            action_name=action.name,
            input=action_input,
            started_by=user,
            connection_membrane_id=connection.membrane_id,
        )
        # An action may write to the PSA (create-ticket, update-ticket…): every run is logged.
        record_audit(
            user=user,
            action="action.run",
            target_type="action_run",
            target_id=run.pk,
            summary=f"Ran {action.name or action.key} from the action console",
            after={"action": action.key, "input": action_input},
        )
        _queue(run, kind="action_run", label=f"Run {action.name or action.key}",
               task=tasks.run_action, result_url_name="actions:run-output")  # fmt: skip
    return run


def action_run_execute(*, run_id: int) -> str:
    run = ActionRun.objects.get(pk=run_id)
    if not _claim(run):
        return _run_summary(run)
    started = time.monotonic()
    answer = membrane_client().run_action(
        run.action_membrane_id, connection_id=run.connection_membrane_id, input=run.input
    )
    # PostgreSQL's jsonb refuses NULs and lone surrogates, which free text may hold.
    run.output = storable(answer.get("output"))
    run.output_size = len(orjson.dumps(run.output))
    run_id_text = answer.get("actionRunId")
    run.membrane_run_id = run_id_text[:100] if isinstance(run_id_text, str) else ""
    _finish(run, started=started, fields=["output", "output_size", "membrane_run_id"])
    return _run_summary(run)


def _run_summary(run: ActionRun) -> str:
    return f"{run.action_name or run.action_key} answered ({size_label(run.output_size)})."


# -- the PSA API through the proxy ---------------------------------------------------------


def proxy_request_start(
    *,
    connection,
    user,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: str,
) -> ProxyRequest:
    """Send a request to the PSA API in a task; a write is audit-logged with its body."""
    from psaportal.actions import tasks

    with transaction.atomic():
        request = ProxyRequest.objects.create(
            method=method,
            path=path,
            query=[list(pair) for pair in query],
            headers=headers,
            body=body,
            started_by=user,
            connection_membrane_id=connection.membrane_id,
        )
        if method in WRITE_METHODS:
            record_audit(
                user=user,
                action="psa_api.request",
                target_type="psa_api",
                target_id=str(request.pk),
                summary=f"{method} {path} from the API console",
                after={
                    "method": method,
                    "path": path,
                    "query": request.query,
                    "headers": headers,
                    "body": _body_for_audit(body),
                },  # fmt: skip
            )
        _queue(request, kind="api_console_request", label=f"{method} {path}",
               task=tasks.send_proxy_request, result_url_name="api_console:response")  # fmt: skip
    return request


def _body_for_audit(body: str):
    if not body:
        return None
    try:
        return orjson.loads(body)
    except ValueError:
        return body


def proxy_request_execute(*, request_id: int) -> str:
    request = ProxyRequest.objects.get(pk=request_id)
    if not _claim(request):
        return _proxy_summary(request)
    started = time.monotonic()
    body = _body_for_audit(request.body)  # the JSON body, parsed (forms only accept JSON)
    try:
        answer = membrane_client().proxy(
            request.connection_membrane_id,
            request.method,
            request.path,
            query=[tuple(pair) for pair in request.query],
            headers=request.headers or None,
            json=body if isinstance(body, dict | list) else None,
            content=request.body.encode()
            if body is not None and not isinstance(body, dict | list)
            else None,
        )
        status, headers, content = (
            answer.status_code,
            list(answer.headers.multi_items()),
            answer.content,
        )
    except PsaError as error:
        # The PSA answered with an error: in a console that answer is the result to show.
        status = error.status or 0
        headers = [("Retry-After", f"{error.retry_after:g}")] if error.retry_after else []
        content = orjson.dumps(error.data) if error.data is not None else error.message.encode()
        if error.data is not None:
            headers.append(("Content-Type", "application/json"))
    except MembraneError as error:
        if error.retryable and request.method not in IDEMPOTENT_METHODS:
            raise JobProblem(
                f"{describe_error(error)} The {request.method} may or may not have reached "
                "ConnectWise PSA, so it was not sent again: check there before sending it again."
            ) from error
        raise
    request.response_status = status
    request.response_headers = [
        [name, value] for name, value in headers if name.lower() not in SECRET_HEADERS
    ]
    # PostgreSQL's text refuses NUL characters, which a body that is not JSON may hold.
    request.response_body = storable(content.decode("utf-8", errors="replace"))
    request.response_size = len(content)
    _finish(
        request,
        started=started,
        fields=["response_status", "response_headers", "response_body", "response_size"],
    )
    return _proxy_summary(request)


def _proxy_summary(request: ProxyRequest) -> str:
    return (
        f"ConnectWise PSA answered {request.response_status} ({size_label(request.response_size)})."
    )


def psa_link_target(url: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The PSA-relative path and query of a Link header URL, or None if it is not one."""
    parts = urlsplit(url)
    at = parts.path.find(PSA_API_ROOT + "/")
    if at < 0:
        return None
    return parts.path[at + len(PSA_API_ROOT) :], parse_qsl(parts.query, keep_blank_values=True)
