"""Typed errors raised by the Membrane client.

Every error carries what a caller needs to decide what to do next: the HTTP status,
Membrane's error ``type``/``key``, a human-readable ``message`` (shown to users),
the raw ``data``, and whether trying again later can help (``retryable`` and
``retry_after`` in seconds).
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from typing import Any

import httpx


class MembraneError(Exception):
    """Base class: something went wrong talking to Membrane or, through it, to the PSA."""

    #: Whether the same request may succeed later; instances may override it.
    default_retryable = False
    default_message = "Membrane could not complete the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        type: str | None = None,
        key: str | None = None,
        data: Any = None,
        caused_by: dict | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ):
        self.message = message or self.default_message
        self.status = status
        self.type = type
        self.key = key
        self.data = data
        self.caused_by = caused_by
        self.retry_after = retry_after
        self.retryable = self.default_retryable if retryable is None else retryable
        super().__init__(self.message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, type={self.type!r}, "
            f"key={self.key!r}, message={self.message!r})"
        )


class AuthError(MembraneError):
    """401/403: the token is missing, wrong, expired or not allowed to do this."""

    default_message = "Membrane refused the credentials. Check the workspace key and secret."


class NotFoundError(MembraneError):
    """404: the connection, action or request does not exist."""

    default_message = "Membrane could not find what was asked for."


class BadRequestError(MembraneError):
    """400: Membrane rejected the request as invalid."""

    default_message = "Membrane rejected the request as invalid."


class ConflictError(MembraneError):
    """409 or a ``concurrency`` error: another change got there first, or a lock timed out."""

    default_message = "Membrane reported a conflicting change; try again."


class RateLimitError(MembraneError):
    """429 or ``rate_limit_exceeded``: too many requests; wait ``retry_after`` seconds."""

    default_retryable = True
    default_message = "Too many requests; Membrane asked us to slow down."


class ServerError(MembraneError):
    """5xx: Membrane (or a service behind it) failed; usually temporary."""

    default_retryable = True
    default_message = "Membrane had an internal error; try again later."


class NetworkError(MembraneError):
    """No answer: connection refused, timed out or dropped before a response arrived."""

    default_retryable = True
    default_message = "Could not reach Membrane."


class ActionRunError(MembraneError):
    """An action ran but the PSA rejected it; ``psa_error`` holds the PSA's own error body."""

    default_message = "The action failed in ConnectWise PSA."

    @property
    def psa_error(self) -> dict | None:
        return find_psa_error(self.data) or find_psa_error(self.caused_by)


class MalformedResponseError(MembraneError):
    """A success answer whose body is not JSON or not shaped as documented."""

    default_message = "Membrane sent an answer that could not be understood."


class OutcomeUnknownError(MembraneError):
    """A request that may change something (an action run, a POST or PATCH) got no usable
    answer after it was sent: it timed out, the connection dropped, or the body was not
    JSON. It may have been carried out, so it is not tried again on its own. A caller that
    checks before trying again marks its calls ``retry_safe``."""

    default_message = (
        "Membrane's answer was lost; the request may have been carried out — check before "
        "sending it again."
    )


class PsaError(MembraneError):
    """The PSA itself answered an error through the proxy (ConnectWise error body)."""

    default_message = "ConnectWise PSA rejected the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict] | None = None,
        **kwargs: Any,
    ):
        self.code = code
        self.errors = errors or []
        super().__init__(message, **kwargs)

    @property
    def field_errors(self) -> dict[str, str]:
        """Field name → message, for showing validation errors next to form fields."""
        return {
            error["field"]: error.get("message") or "is invalid"
            for error in self.errors
            if isinstance(error, dict) and error.get("field")
        }


class PsaRateLimitError(PsaError, RateLimitError):
    """The PSA throttled us (429); wait ``retry_after`` seconds."""

    default_message = "ConnectWise PSA is throttling requests; try again shortly."


class PsaServerError(PsaError, ServerError):
    """The PSA failed with a 5xx; usually temporary."""

    default_message = "ConnectWise PSA had an internal error; try again later."


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def find_psa_error(value: Any) -> dict | None:
    """The ConnectWise error body (``code``/``message``/``errors``) nested in ``value``."""
    if not isinstance(value, dict):
        return None
    if "code" in value and ("message" in value or "errors" in value) and "type" not in value:
        return value
    for nested_key in ("response", "data", "error", "psaError"):
        found = find_psa_error(value.get(nested_key))
        if found:
            return found
    return None


def _json_body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _status_phrase(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def error_from_response(response: httpx.Response) -> MembraneError:
    """The typed error for a non-2xx answer carrying a Membrane error body (or none)."""
    body = _json_body(response)
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if not isinstance(body, dict):
        body = {}
    error_type = body.get("type") if isinstance(body.get("type"), str) else None
    key = body.get("key") if isinstance(body.get("key"), str) else None
    message = body.get("message") if isinstance(body.get("message"), str) else None
    caused_by = body.get("causedByError") if isinstance(body.get("causedByError"), dict) else None

    if error_type == "action_run":
        cls: type[MembraneError] = ActionRunError
    elif status == 429 or key == "rate_limit_exceeded":
        cls = RateLimitError
    elif status == 409 or error_type == "concurrency":
        cls = ConflictError
    elif status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    elif status >= 500:
        cls = ServerError
    elif status == 400:
        cls = BadRequestError
    else:
        cls = MembraneError

    if message is None:
        message = f"{cls.default_message} ({_status_phrase(response)})"
    retryable = None
    if cls is ActionRunError:
        retryable = status == 429 or status >= 500
    elif cls is ConflictError:
        retryable = key == "lock_timeout" or error_type == "concurrency"
    return cls(
        message,
        status=status,
        type=error_type,
        key=key,
        data=body.get("data"),
        caused_by=caused_by,
        retry_after=retry_after,
        retryable=retryable,
    )


def psa_error_from_response(response: httpx.Response) -> MembraneError:
    """The typed error for a non-2xx proxy answer.

    A Membrane error body (it has ``type``) means Membrane itself refused; anything else
    is the PSA's own answer.
    """
    body = _json_body(response)
    if isinstance(body, dict) and isinstance(body.get("type"), str):
        return error_from_response(response)
    status = response.status_code
    if status == 429:
        cls: type[PsaError] = PsaRateLimitError
    elif status >= 500:
        cls = PsaServerError
    else:
        cls = PsaError
    code = message = None
    errors: list[dict] = []
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
        if isinstance(body.get("errors"), list):
            errors = [error for error in body["errors"] if isinstance(error, dict)]
    if not message:
        message = f"{cls.default_message} ({_status_phrase(response)})"
    details = [
        f"{error['field']}: {error.get('message') or 'is invalid'}"
        for error in errors
        if error.get("field")
    ]
    if details:
        message = f"{message.rstrip('.')}. " + "; ".join(details)
    return cls(
        message,
        status=status,
        code=code,
        errors=errors,
        data=body,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
