"""A request id on every log line: the one a proxy sent (X-Request-ID) or a new one, kept
for the request, sent back in its response, and carried into the tasks the request queues
(a Celery message header), so one id finds a click's page and its background work."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
#: What a proxy may send; anything else (too long, odd characters) is replaced, not logged.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

current_request_id: ContextVar[str] = ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for the request's log lines and answers it in X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(HEADER, "")
        request_id = sent if _SAFE_ID.match(sent) else new_request_id()
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


#: The id each running task replaced, by task id, to put back when it ends (in-process
#: tasks run inside a request or inside one another).
_replaced: dict[str, Token] = {}


@task_prerun.connect
def _take_request_id(task_id=None, task=None, **kwargs):
    # The id of the request (or task) that sent it; in-process, the one running it; beat's
    # tasks get one of their own.
    sent = getattr(task.request, "request_id", None) or (task.request.headers or {}).get(
        "request_id"
    )
    request_id = sent or current_request_id.get()
    _replaced[task_id] = current_request_id.set(request_id or new_request_id())


@task_postrun.connect
def _drop_request_id(task_id=None, **kwargs):
    token = _replaced.pop(task_id, None)
    if token is not None:
        current_request_id.reset(token)
