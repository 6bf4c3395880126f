"""A small synchronous client for the Membrane API (see docs/membrane-api.md).

It does not sleep or retry: callers (Celery tasks) retry on errors whose ``retryable``
is true, waiting ``retry_after`` seconds when given. A request whose answer was lost after
it was sent (a read timeout, a dropped connection, a success body that is not JSON) is
retryable only when it may be sent twice (GET, HEAD, or a call its caller marks
``retry_safe`` because it checks before trying again); for any other it is an
``OutcomeUnknownError``: it may have been carried out. A request that never left (no
connection could be made) is always retryable.
"""

from __future__ import annotations

import gc
import json as stdlib_json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import orjson

from .auth import StaticToken, WorkspaceToken
from .errors import (
    BadRequestError,
    MalformedResponseError,
    MembraneError,
    NetworkError,
    OutcomeUnknownError,
    error_from_response,
    psa_error_from_response,
)
from .pagination import iter_cursor_items

API_VERSION = "2025-10-21"
#: Where the PSA's REST API starts in its own URLs; the proxy's paths are relative to it.
PSA_API_ROOT = "/apis/3.0"
#: Extra seconds allowed on top of a long-poll's own timeout before the read times out.
LONG_POLL_GRACE_SECONDS = 10.0

Query = Mapping[str, Any] | Sequence[tuple[str, Any]] | None
#: Methods whose request may be sent twice without harm, whatever the first one did.
SAFE_METHODS = frozenset({"GET", "HEAD"})


def _loads(content: bytes) -> Any:
    """Parse a JSON body. orjson refuses a lone surrogate escape ("\\ud800"), which JSON
    allows and the PSA may send in free text: such a body is parsed by the standard library
    (callers clean what they store: ``records.sync.fetch.storable``). ValueError when it is
    not JSON at all."""
    # A parse makes only new, acyclic objects, so a garbage collection during it finds
    # nothing; yet a sync page's ~20,000 containers set off dozens, a third of its parse time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(content)
    except ValueError:
        return stdlib_json.loads(content)
    finally:
        if collecting:
            gc.enable()


#: Transport errors raised before the request left: sending it again cannot repeat it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _not_json(message: str, *, status: int, retry_safe: bool) -> MembraneError:
    """A success answer whose body is not JSON (cut short or garbled by a proxy in between):
    worth trying again when the request may be sent twice, otherwise it may have run."""
    if retry_safe:
        return MalformedResponseError(message, status=status, retryable=True)
    return OutcomeUnknownError(
        f"{message} It may have been carried out: check before sending it again.",
        status=status,
        key="malformed_json",
    )


@dataclass
class ProxyResponse:
    """The PSA's own answer, passed back by Membrane's proxy."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    #: Whether the request may be sent again when this answer cannot be read.
    retry_safe: bool = True

    def json(self) -> Any:
        try:
            return _loads(self.content)
        except ValueError as exc:
            raise _not_json(
                "ConnectWise PSA sent an answer that is not JSON.",
                status=self.status_code,
                retry_safe=self.retry_safe,
            ) from exc

    @property
    def links(self) -> dict[str, str]:
        """The Link header as ``{rel: url}`` (``next``, ``last``, …)."""
        return {
            str(link.get("rel")): str(link["url"])
            for link in httpx.Response(200, headers=self.headers).links.values()
            if link.get("url")
        }


def _segment(value: str) -> str:
    return quote(str(value), safe="")


class MembraneClient:
    """One pooled HTTP client for the Membrane API, with auth configured once."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        workspace_key: str | None = None,
        workspace_secret: str | None = None,
        tenant_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if token:
            self.auth: StaticToken = StaticToken(token)
        elif workspace_key and workspace_secret:
            self.auth = WorkspaceToken(
                workspace_key=workspace_key,
                workspace_secret=workspace_secret,
                tenant_key=tenant_key,
            )
        else:
            raise ValueError("MembraneClient needs a token, or a workspace key and secret.")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            auth=self.auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"membrane-api-version": API_VERSION, "Accept": "application/json"},
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MembraneClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Query = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retry_safe: bool = False,
    ) -> httpx.Response:
        """Send one request. ``retry_safe``: it may be sent twice (see the module's text)."""
        url = path.lstrip("/")
        try:
            return self._http.request(
                method,
                url,
                params=_clean_params(params),
                json=json,
                content=content,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.InvalidURL as exc:
            # Never sent: e.g. a query string longer than httpx accepts (64 KiB).
            raise BadRequestError(
                f"Cannot send {method} /{url}: {exc}.", key="invalid_request"
            ) from exc
        except httpx.TransportError as exc:
            if not retry_safe and not isinstance(exc, NOT_SENT):
                raise OutcomeUnknownError(
                    f"Membrane's answer to {method} /{url} was lost ({type(exc).__name__}). "
                    "It may have been carried out: check before sending it again.",
                    key="answer_lost",
                ) from exc
            if isinstance(exc, httpx.TimeoutException):
                raise NetworkError(
                    f"Membrane did not answer {method} /{url} in time ({type(exc).__name__}).",
                    key="timeout",
                ) from exc
            raise NetworkError(
                f"Could not reach Membrane at {self.base_url} ({type(exc).__name__}: {exc}).",
                key="network",
            ) from exc

    def _request(self, method: str, path: str, *, retry_safe: bool = False, **kwargs: Any) -> Any:
        retry_safe = retry_safe or method in SAFE_METHODS
        response = self._send(method, path, retry_safe=retry_safe, **kwargs)
        if not response.is_success:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return _loads(response.content)
        except ValueError as exc:
            raise _not_json(
                f"Membrane answered {method} {path} with a body that is not JSON.",
                status=response.status_code,
                retry_safe=retry_safe,
            ) from exc

    def _request_object(self, method: str, path: str, **kwargs: Any) -> dict:
        body = self._request(method, path, **kwargs)
        if not isinstance(body, dict):
            raise MalformedResponseError(
                f"Membrane answered {method} {path} with {type(body).__name__}, not an object.",
                data=body,
            )
        return body

    @staticmethod
    def _long_poll(wait: bool, timeout: int | None) -> tuple[dict[str, Any], float | None]:
        if not wait:
            return {}, None
        params: dict[str, Any] = {"wait": "true"}
        if timeout is not None:
            params["timeout"] = timeout
        return params, (timeout if timeout is not None else 30) + LONG_POLL_GRACE_SECONDS

    # -- connections --------------------------------------------------------------

    def ensure_connection(self, *, app_url: str, name: str | None = None) -> dict:
        body: dict[str, Any] = {"appUrl": app_url}
        if name is not None:
            body["name"] = name
        # Ensuring the same app's connection again finds the one made before.
        return self._request_object("POST", "/connections/ensure", json=body, retry_safe=True)

    def get_connection(
        self, connection_id: str, *, wait: bool = False, timeout: int | None = None
    ) -> dict:
        params, read_timeout = self._long_poll(wait, timeout)
        if read_timeout is not None:
            read_timeout = max(read_timeout, self.timeout)
        return self._request_object(
            "GET", f"/connections/{_segment(connection_id)}", params=params, timeout=read_timeout
        )

    def list_connections(self, *, limit: int | None = None, **filters: Any) -> Iterator[dict]:
        """Every connection, following the cursor; ``limit`` is the page size."""
        params = dict(filters)
        if limit is not None:
            params["limit"] = limit
        return iter_cursor_items(
            lambda page_params: self._request("GET", "/connections", params=page_params), params
        )

    def update_connection(self, connection_id: str, **fields: Any) -> dict:
        return self._request_object(
            "PATCH", f"/connections/{_segment(connection_id)}", json=fields, retry_safe=True
        )

    def archive_connection(self, connection_id: str) -> None:
        self._request("DELETE", f"/connections/{_segment(connection_id)}", retry_safe=True)

    def refresh_credentials(self, connection_id: str) -> dict:
        return self._request_object(
            "POST", f"/connections/{_segment(connection_id)}/refresh-credentials", retry_safe=True
        )

    def create_connection_request(self, **body: Any) -> dict:
        # retry_safe: a second request is harmless; only the one whose link is shown is used.
        return self._request_object("POST", "/connection-requests", json=body, retry_safe=True)

    def get_connection_request(self, request_id: str) -> dict:
        return self._request_object("GET", f"/connection-requests/{_segment(request_id)}")

    # -- actions ------------------------------------------------------------------

    def search_actions(self, *, connection_id: str, intent: str, limit: int = 10) -> list[dict]:
        body = self._request_object(
            "GET",
            "/actions",
            params={"connectionId": connection_id, "intent": intent, "limit": limit},
        )
        if not isinstance(body.get("items"), list):
            raise MalformedResponseError(
                "Membrane sent an action search answer without an 'items' array.", data=body
            )
        return body["items"]

    def get_action(self, action_id: str, *, wait: bool = False, timeout: int | None = None) -> dict:
        params, read_timeout = self._long_poll(wait, timeout)
        if read_timeout is not None:
            read_timeout = max(read_timeout, self.timeout)
        return self._request_object(
            "GET", f"/actions/{_segment(action_id)}", params=params, timeout=read_timeout
        )

    def run_action(
        self,
        action_id: str,
        *,
        connection_id: str,
        input: dict | None = None,
        retry_safe: bool = False,
    ) -> dict:
        """Run an action. ``retry_safe``: the caller checks before running it again (e.g.
        looks for what an earlier run created), so an unreadable answer may be retried."""
        body = self._request_object(
            "POST",
            f"/actions/{_segment(action_id)}/run",
            params={"connectionId": connection_id},
            json={"input": input or {}},
            retry_safe=retry_safe,
        )
        if "output" not in body:
            raise MalformedResponseError(
                "Membrane sent an action run answer without 'output'.", data=body
            )
        return body

    # -- proxy ----------------------------------------------------------------------

    def proxy(
        self,
        connection_id: str,
        method: str,
        path: str,
        *,
        query: Query = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        retry_safe: bool = False,
    ) -> ProxyResponse:
        """Send a request to the PSA API through the connection; ``path`` is PSA-relative.

        Non-2xx answers raise ``PsaError`` (or a Membrane error when Membrane itself refused).
        ``retry_safe``: a write whose caller checks before sending it again, so an unreadable
        answer may be retried (GET and HEAD always may).
        """
        if json is not None and content is not None:
            raise ValueError("Pass either json or content to proxy(), not both.")
        retry_safe = retry_safe or method.upper() in SAFE_METHODS
        response = self._send(
            method.upper(),
            f"/connections/{_segment(connection_id)}/proxy/{path.lstrip('/')}",
            params=query,
            json=json,
            content=content,
            headers=headers,
            retry_safe=retry_safe,
        )
        if not response.is_success:
            raise psa_error_from_response(response)
        return ProxyResponse(
            status_code=response.status_code,
            headers=response.headers,
            content=response.content,
            retry_safe=retry_safe,
        )

    def follow(
        self, connection_id: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> ProxyResponse:
        """GET a PSA URL from a Link header (e.g. ``rel="next"``) through the proxy.

        The PSA names its own site (``https://{site}/v4_6_release/apis/3.0/...``); the
        proxy adds that base itself, so only the part after ``/apis/3.0`` is sent.
        Forward-only pages need ``headers={"pagination-type": "forward-only"}`` again.
        """
        parts = urlsplit(url)
        base_at = parts.path.find(PSA_API_ROOT + "/")
        if base_at < 0:
            raise ValueError(f"{url!r} is not a ConnectWise PSA API URL (no {PSA_API_ROOT}/).")
        path = parts.path[base_at + len(PSA_API_ROOT) :]
        query = parse_qsl(parts.query, keep_blank_values=True)
        return self.proxy(connection_id, "GET", path, query=query, headers=headers)


def _clean_params(params: Query) -> Any:
    """Drop ``None`` values and turn booleans into ``true``/``false``."""
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    cleaned = []
    for name, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        cleaned.append((name, value))
    return cleaned
