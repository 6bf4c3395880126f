"""A Membrane-compatible HTTP server backed by the ConnectWise PSA simulator.

It serves, at its root, the endpoints of docs/membrane-api.md, the consent pages behind
``clientAction.uiUrl`` (``/ui/…``), and control endpoints for tests (``/_sandbox/…``).
Standard library only (plus PyJWT); no Django.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from . import catalog, ui
from .connections import ConnectionStore, SandboxError, bad_request, not_authenticated, not_found
from .faults import FaultConfig, FaultInjector
from .schema import validate

# Official clients (@membranehq/sdk) take only a JWT or a personal access token "pat-…".
DEFAULT_TOKEN = "pat-sandbox-token"
DEFAULT_WORKSPACE_KEY = "sandbox-workspace"
DEFAULT_WORKSPACE_SECRET = "sandbox-secret"
MAX_BODY_BYTES = 20 * 1024 * 1024
CONNECT_FLOWS = ("connect", "provide-input")
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "server", "date"}


@dataclass
class SandboxConfig:
    """Everything that can be chosen when starting a sandbox."""

    token: str = DEFAULT_TOKEN
    workspace_key: str = DEFAULT_WORKSPACE_KEY
    workspace_secret: str = DEFAULT_WORKSPACE_SECRET
    #: Seconds a new connection stays BUILDING.
    build_seconds: float = 1.5
    #: "connect" (Authorize/Deny) or "provide-input" (ask site + company id first).
    connect_flow: str = "connect"
    #: Skip the consent page: connections become READY right after building.
    auto_authorize: bool = False
    faults: FaultConfig = field(default_factory=FaultConfig)
    scale: Any = None
    seed: int = 1
    db_path: str | None = None
    verbose: bool = False


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(value, separators=(",", ":")).encode()
    return Reply(status, body, headers=headers or {})


def error_reply(error: SandboxError) -> Reply:
    return json_reply(error.as_body(), error.status, error.headers)


def html_reply(body: bytes, status: int = 200) -> Reply:
    return Reply(status, body, "text/html; charset=utf-8")


def redirect(location: str) -> Reply:
    return Reply(303, b"", "text/plain", {"Location": location})


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Any
    body: bytes
    base_url: str

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def json(self, *, default: Any = None) -> Any:
        if not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise bad_request(f"The request body is not valid JSON ({exc}).") from None

    def form(self) -> dict[str, str]:
        text = self.body.decode("utf-8", errors="replace")
        return {key: values[0] for key, values in parse_qs(text).items()}


Route = tuple[str, re.Pattern, Callable[..., Reply]]


class SandboxApp:
    """Routes requests to connections, actions, proxy, UI pages and control endpoints."""

    def __init__(self, config: SandboxConfig | None = None, *, psa: Any = None):
        self.config = config or SandboxConfig()
        self.connections = ConnectionStore(
            build_seconds=self.config.build_seconds,
            connect_flow=self.config.connect_flow,
            auto_authorize=self.config.auto_authorize,
        )
        self.faults = FaultInjector(self.config.faults)
        self.stopping = threading.Event()
        self._psa = psa
        self._psa_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.stats: dict[str, int] = {}
        self.reset_stats()
        self.routes = self._routes()

    @property
    def psa(self) -> Any:
        with self._psa_lock:
            if self._psa is None:
                self._psa = self._new_psa()
            return self._psa

    def load_psa(self) -> Any:
        """Build the PSA data now rather than during the first request."""
        return self.psa

    def _new_psa(self) -> Any:
        from .psa import PsaSimulator, SeedScale

        scale = self.config.scale if self.config.scale is not None else SeedScale()
        return PsaSimulator(scale=scale, seed=self.config.seed, db_path=self.config.db_path)

    def close(self) -> None:
        self.stopping.set()
        with self._psa_lock:
            if self._psa is not None and hasattr(self._psa, "close"):
                self._psa.close()

    def reset_stats(self) -> None:
        with self._stats_lock:
            # psa_writes: changes the PSA made (2xx to a POST, PUT, PATCH or DELETE), by the
            # proxy or an action, so a test can prove an edit landed exactly once.
            self.stats = {"api_requests": 0, "psa_requests": 0, "proxy_requests": 0,
                          "action_runs": 0, "psa_writes": 0}  # fmt: skip
        self.faults.reset_counters()

    def count(self, *names: str) -> None:
        with self._stats_lock:
            for name in names:
                self.stats[name] += 1

    def count_write(self, method: str, status: int) -> None:
        if method.upper() != "GET" and 200 <= status < 300:
            self.count("psa_writes")

    # -- routing ---------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        table = [
            ("GET", r"/", self.index),
            ("POST", r"/connections/ensure", self.ensure_connection),
            ("GET", r"/connections", self.list_connections),
            ("GET", r"/connections/(?P<cid>[^/]+)", self.get_connection),
            ("PATCH", r"/connections/(?P<cid>[^/]+)", self.update_connection),
            ("DELETE", r"/connections/(?P<cid>[^/]+)", self.archive_connection),
            ("POST", r"/connections/(?P<cid>[^/]+)/refresh-credentials", self.refresh_credentials),
            ("*", r"/connections/(?P<cid>[^/]+)/proxy(?P<psa_path>/.*)?", self.proxy),
            ("POST", r"/connection-requests", self.create_connection_request),
            ("GET", r"/connection-requests/(?P<rid>[^/]+)", self.get_connection_request),
            ("GET", r"/actions", self.search_actions),
            ("GET", r"/actions/(?P<aid>[^/]+)", self.get_action),
            ("POST", r"/actions/(?P<aid>[^/]+)/run", self.run_action),
            ("POST", r"/action/run", self.run_selected_action),
            ("GET", r"/connections/(?P<cid>[^/]+)/actions", self.list_connection_actions),
            ("POST", r"/connections/(?P<cid>[^/]+)/actions/(?P<aid>[^/]+)/run",
             self.run_connection_action),
            ("GET", r"/ui/connect/(?P<cid>[^/]+)", self.ui_connect),
            ("POST", r"/ui/connect/(?P<cid>[^/]+)/(?P<step>authorize|deny|input)",
             self.ui_connect_step),
            ("GET", r"/ui/connection-requests/(?P<rid>[^/]+)", self.ui_request),
            ("POST", r"/ui/connection-requests/(?P<rid>[^/]+)/(?P<step>authorize|deny)",
             self.ui_request_step),
            ("GET", r"/_sandbox/stats", self.control_stats),
            ("GET", r"/_sandbox/faults", self.control_get_faults),
            ("POST", r"/_sandbox/faults", self.control_set_faults),
            ("GET", r"/_sandbox/settings", self.control_get_settings),
            ("POST", r"/_sandbox/settings", self.control_set_settings),
            ("POST", r"/_sandbox/reset", self.control_reset),
            ("POST", r"/_sandbox/connections/(?P<cid>[^/]+)/"
             r"(?P<step>authorize|deny|disconnect|provide-input)", self.control_connection),
        ]  # fmt: skip
        return [(method, re.compile(pattern + r"/?\Z"), view) for method, pattern, view in table]

    def resolve(self, method: str, path: str) -> tuple[Callable[..., Reply], dict[str, str]]:
        allowed = []
        for route_method, pattern, view in self.routes:
            match = pattern.match(path)
            if match:
                if route_method in ("*", method):
                    return view, {k: v for k, v in match.groupdict().items() if v is not None}
                allowed.append(route_method)
        if allowed:
            raise SandboxError(
                405, "bad_request", "method_not_allowed",
                f"{method} is not allowed on {path}; use {', '.join(sorted(set(allowed)))}.",
            )  # fmt: skip
        raise SandboxError(404, "bad_request", "not_found", f"No endpoint at {method} {path}.")

    @staticmethod
    def is_public(path: str) -> bool:
        return path == "/" or path.startswith("/ui/")

    @staticmethod
    def is_control(path: str) -> bool:
        return path.startswith("/_sandbox/")

    @staticmethod
    def reaches_psa(method: str, path: str) -> bool:
        return "/proxy" in path or (method == "POST" and path.endswith("/run"))

    def authenticate(self, request: Request) -> str:
        """The tenant id of a valid bearer token; raises a 401 otherwise."""
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        # Membrane answers every refused token with the key not_authenticated, which the
        # SDK knows; the message says what was wrong.
        if scheme.lower() != "bearer" or not token:
            raise not_authenticated("Send 'Authorization: Bearer <token>'.")
        if token == self.config.token:
            return "sandbox-tenant"
        claims = verify_hs256(token, self.config.workspace_secret)
        if claims is None or "iss" not in claims or "exp" not in claims:
            raise not_authenticated("The access token is not valid for this sandbox.")
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= time.time():
            raise not_authenticated("The access token has expired; mint a new one.")
        if claims.get("iss") != self.config.workspace_key:
            raise not_authenticated("The token was issued for another workspace.")
        return str(claims.get("id") or "sandbox-tenant")

    # -- connections -----------------------------------------------------------------

    def index(self, request: Request) -> Reply:
        return json_reply({"name": "Membrane sandbox", "apiUrl": request.base_url,
                           "docs": "docs/membrane-api.md"})  # fmt: skip

    def _connection(self, request: Request, connection: Any, status: int = 200) -> Reply:
        return json_reply(self.connections.connection_json(connection, request.base_url), status)

    def ensure_connection(self, request: Request) -> Reply:
        body = request.json(default={})
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object with appUrl.")
        connection = self.connections.ensure(app_url=body.get("appUrl"), name=body.get("name"))
        return self._connection(request, connection)

    def get_connection(self, request: Request, cid: str) -> Reply:
        wait = _flag(request.param("wait"), "wait")
        timeout = _int_param(request.param("timeout"), "timeout", 1, 60, 30)
        if wait:
            connection = self.connections.wait_while_building(cid, timeout)
        else:
            connection = self.connections.get(cid)
        return self._connection(request, connection)

    def list_connections(self, request: Request) -> Reply:
        limit = _int_param(request.param("limit"), "limit", 1, 1000, 100)
        offset = _int_param(request.param("cursor"), "cursor", 0, 10**9, 0)
        include_archived = _flag(request.param("includeArchived"), "includeArchived")
        connections = self.connections.list(include_archived=include_archived)
        for name in ("state", "key", "name"):
            wanted = request.param(name)
            if wanted is not None:
                connections = [c for c in connections if getattr(c, name) == wanted]
        page = connections[offset : offset + limit]
        body: dict[str, Any] = {
            "items": [self.connections.connection_json(c, request.base_url) for c in page]
        }
        if offset + limit < len(connections):
            body["cursor"] = str(offset + limit)
        return json_reply(body)

    def update_connection(self, request: Request, cid: str) -> Reply:
        return self._connection(request, self.connections.update(cid, request.json(default={})))

    def archive_connection(self, request: Request, cid: str) -> Reply:
        self.connections.archive(cid)
        return Reply(204)

    def refresh_credentials(self, request: Request, cid: str) -> Reply:
        return self._connection(request, self.connections.refresh_credentials(cid))

    def create_connection_request(self, request: Request) -> Reply:
        created = self.connections.create_request(request.json(default={}))
        return json_reply(self.connections.request_json(created, request.base_url), 201)

    def get_connection_request(self, request: Request, rid: str) -> Reply:
        found = self.connections.get_request(rid)
        return json_reply(self.connections.request_json(found, request.base_url))

    # -- actions -----------------------------------------------------------------------

    def search_actions(self, request: Request) -> Reply:
        connection_id = request.param("connectionId")
        if connection_id:
            self.connections.get(connection_id)
        intent = request.param("intent") or ""
        if len(intent) > 200:
            raise bad_request(f"intent is at most 200 characters; got {len(intent)}.")
        return self._action_page(request, catalog.search(intent, len(catalog.ACTIONS)), 10)

    def list_connection_actions(self, request: Request, cid: str) -> Reply:
        self.connections.get(cid)
        return self._action_page(request, catalog.ACTIONS, 100)

    @staticmethod
    def _action_page(request: Request, actions: list, default_limit: int) -> Reply:
        # The SDK's findAll pages with limit=1000 and starts at cursor "0".
        limit = _int_param(request.param("limit"), "limit", 1, 1000, default_limit)
        offset = _int_param(request.param("cursor"), "cursor", 0, 10**9, 0)
        body: dict[str, Any] = {
            "items": [action.as_json() for action in actions[offset : offset + limit]]
        }
        if offset + limit < len(actions):
            body["cursor"] = str(offset + limit)
        return json_reply(body)

    def get_action(self, request: Request, aid: str) -> Reply:
        _flag(request.param("wait"), "wait")
        _int_param(request.param("timeout"), "timeout", 1, 60, 30)
        return json_reply(_find_action(aid).as_json())

    def run_action(self, request: Request, aid: str) -> Reply:
        connection_id = request.param("connectionId")
        if not connection_id:
            raise bad_request("connectionId is required: POST /actions/{id}/run?connectionId=…")
        return self._run(_find_action(aid), connection_id, _wrapped_input(request))

    def run_selected_action(self, request: Request) -> Reply:
        """POST /action/run?key=…&integrationId=…&connectionId=…: the SDK's selector form."""
        selector = request.param("id") or request.param("key")
        if not selector:
            raise bad_request("Name the action: POST /action/run?key=…&connectionId=….")
        action = _find_action(selector)
        integration_id = request.param("integrationId")
        integration_key = request.param("integrationKey")
        if integration_id not in (None, catalog.INTEGRATION_ID) or integration_key not in (
            None,
            catalog.INTEGRATION_KEY,
        ):
            raise not_found(
                "Action", f"{selector} in integration {integration_id or integration_key}"
            )
        connection_id = request.param("connectionId")
        if not connection_id:
            raise bad_request("connectionId is required: POST /action/run?key=…&connectionId=….")
        return self._run(action, connection_id, _wrapped_input(request))

    def run_connection_action(self, request: Request, cid: str, aid: str) -> Reply:
        """POST /connections/{id}/actions/{key}/run: the body is the input itself."""
        action_input = request.json(default={})
        if not isinstance(action_input, dict):
            raise bad_request("The body is the action's input: a JSON object.")
        return self._run(_find_action(aid), cid, action_input)

    def _run(self, action: Any, connection_id: str, action_input: dict) -> Reply:
        problems = validate(action_input, action.input_schema)
        if problems:
            raise SandboxError(
                400, "bad_request", "invalid_input",
                f"Invalid input for {action.key}: {'; '.join(problems)}.",
                data={"errors": problems},
            )  # fmt: skip
        try:
            call = catalog.plan_call(action, action_input)
        except catalog.InvalidInput as exc:
            raise bad_request(f"Invalid input for {action.key}: {exc}.", "invalid_input") from None
        self.connections.require_ready(connection_id)
        retry_after = self.faults.psa_retry_after()
        if retry_after is not None:
            raise SandboxError(
                429, "connection", "rate_limit_exceeded",
                f"ConnectWise PSA is throttling requests; retry after {retry_after} s.",
                data={"status": 429}, headers={"Retry-After": str(retry_after)},
            )  # fmt: skip
        self.count("psa_requests", "action_runs")
        answer = self.psa.handle(
            method=call.method, path=call.path, query=call.query, body=call.body,
        )  # fmt: skip
        self.count_write(call.method, answer.status)
        psa_body = _decode_json(answer.body)
        if 200 <= answer.status < 300:
            output = catalog.build_output(action, psa_body, answer.headers)
            return json_reply({"output": output, "actionRunId": uuid.uuid4().hex[:24]})
        psa_message = psa_body.get("message") if isinstance(psa_body, dict) else None
        data = {"status": answer.status, "response": psa_body}
        if answer.status == 429:
            retry = _header(answer.headers, "Retry-After") or "1"
            raise SandboxError(429, "connection", "rate_limit_exceeded",
                               f"ConnectWise PSA is throttling requests; retry after {retry} s.",
                               data=data, headers={"Retry-After": retry})  # fmt: skip
        if answer.status >= 500:
            raise SandboxError(502, "dependency_error", "psa_unavailable",
                               f"ConnectWise PSA failed ({answer.status}): "
                               f"{psa_message or 'no details'}", data=data)  # fmt: skip
        error = SandboxError(
            answer.status if answer.status in (400, 401, 403, 404, 409, 422) else 400,
            "action_run", "psa_request_failed",
            f"{action.name} failed: {psa_message or f'ConnectWise PSA answered {answer.status}'}",
            data=data,
        )  # fmt: skip
        body = error.as_body()
        body["causedByError"] = {"type": "dependency_error", "message": psa_message,
                                 "data": psa_body}  # fmt: skip
        return json_reply(body, error.status)

    # -- proxy -------------------------------------------------------------------------

    def proxy(self, request: Request, cid: str, psa_path: str = "/") -> Reply:
        if request.method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise SandboxError(405, "bad_request", "method_not_allowed",
                               f"The proxy does not forward {request.method}.")  # fmt: skip
        self.connections.require_ready(cid)
        self.count("proxy_requests")
        retry_after = self.faults.psa_retry_after()
        if retry_after is not None:
            body = {
                "code": "TooManyRequests",
                "errors": [],
                "message": f"Too many requests; retry after {retry_after} seconds.",
            }
            return json_reply(body, 429, {"Retry-After": str(retry_after)})  # fmt: skip
        self.count("psa_requests")
        answer = self.psa.handle(
            method=request.method, path=psa_path, query=request.query,
            body=request.body or None,
            headers={"pagination-type": request.headers.get("pagination-type", "")},
        )  # fmt: skip
        self.count_write(request.method, answer.status)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None)
        body = answer.body
        is_list = request.method == "GET" and answer.status == 200 and body.startswith(b"[")
        if is_list and self.faults.empty_list():
            body = b"[]"
        return Reply(answer.status, body, content_type or "application/json", headers)

    # -- consent pages -------------------------------------------------------------------

    def ui_connect(self, request: Request, cid: str) -> Reply:
        try:
            connection = self.connections.get(cid)
        except SandboxError:
            return html_reply(
                ui.status_page(title="Not found", message="This connection does not exist."), 404
            )
        action_url = f"/ui/connect/{cid}"
        if connection.state == "CLIENT_ACTION_REQUIRED":
            if connection.client_action_type == "provide-input":
                return html_reply(ui.input_page(action_url=action_url))
            return html_reply(ui.consent_page(app_name="PSA Portal", action_url=action_url))
        messages = {
            "READY": ("Connected", "ConnectWise PSA is connected. You can close this window."),
            "BUILDING": ("Preparing", "The connection is still being prepared; reload shortly."),
            "SETUP_FAILED": ("Not connected", "Access was denied; nothing was connected."),
        }  # fmt: skip
        title, message = messages.get(
            connection.state, ("Connection", f"The connection is {connection.state}.")
        )
        return html_reply(ui.status_page(title=title, message=message))

    def ui_connect_step(self, request: Request, cid: str, step: str) -> Reply:
        try:
            if step == "authorize":
                self.connections.authorize(cid)
            elif step == "deny":
                self.connections.deny(cid)
            else:
                form = request.form()
                site, company_id = form.get("site", ""), form.get("company_id", "")
                try:
                    self.connections.provide_input(cid, site=site, company_id=company_id)
                except SandboxError as exc:
                    if exc.status == 404:
                        raise
                    page = ui.input_page(
                        action_url=f"/ui/connect/{cid}",
                        site=site,
                        company_id=company_id,
                        message=exc.message,
                    )
                    return html_reply(page, 400)  # fmt: skip
        except SandboxError as exc:
            return html_reply(ui.status_page(title="Cannot do that", message=exc.message),
                              exc.status)  # fmt: skip
        return redirect(f"/ui/connect/{cid}")

    def ui_request(self, request: Request, rid: str) -> Reply:
        try:
            found = self.connections.get_request(rid)
        except SandboxError as exc:
            return html_reply(ui.status_page(title="Not found", message=exc.message), 404)
        if found.status == "pending":
            page = ui.consent_page(app_name="PSA Portal",
                                   action_url=f"/ui/connection-requests/{rid}")  # fmt: skip
            return html_reply(page)
        message = {"success": "ConnectWise PSA is connected. You can close this window.",
                   "cancelled": "Access was denied; nothing was connected."}  # fmt: skip
        return html_reply(
            ui.status_page(
                title="Connection request", message=message.get(found.status, found.status)
            )
        )

    def ui_request_step(self, request: Request, rid: str, step: str) -> Reply:
        try:
            self.connections.finish_request(rid, authorized=step == "authorize")
        except SandboxError as exc:
            return html_reply(ui.status_page(title="Cannot do that", message=exc.message),
                              exc.status)  # fmt: skip
        return redirect(f"/ui/connection-requests/{rid}")

    # -- control endpoints ----------------------------------------------------------------

    def control_stats(self, request: Request) -> Reply:
        with self._stats_lock:
            stats = dict(self.stats)
        stats["faults_injected"] = dict(self.faults.injected)
        stats["fault_calls"] = self.faults.calls
        return json_reply(stats)

    def control_get_faults(self, request: Request) -> Reply:
        return json_reply(self.faults.config.as_dict())

    def control_set_faults(self, request: Request) -> Reply:
        try:
            config = FaultConfig.from_dict(request.json(default={}))
        except ValueError as exc:
            raise bad_request(f"Bad faults: {exc}.") from None
        self.faults.configure(config)
        return json_reply(config.as_dict())

    def _settings(self) -> dict[str, Any]:
        store = self.connections
        return {"build_seconds": store.build_seconds, "connect_flow": store.connect_flow,
                "auto_authorize": store.auto_authorize}  # fmt: skip

    def control_get_settings(self, request: Request) -> Reply:
        return json_reply(self._settings())

    def control_set_settings(self, request: Request) -> Reply:
        body = request.json(default={})
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        unknown = sorted(set(body) - set(self._settings()))
        if unknown:
            raise bad_request(f"Unknown setting(s): {', '.join(unknown)}.")
        build_seconds = body.get("build_seconds", self.connections.build_seconds)
        if (
            isinstance(build_seconds, bool)
            or not isinstance(build_seconds, int | float)
            or not (0 <= build_seconds <= 120)
        ):
            raise bad_request("build_seconds must be a number from 0 to 120.")
        connect_flow = body.get("connect_flow", self.connections.connect_flow)
        if connect_flow not in CONNECT_FLOWS:
            raise bad_request(f"connect_flow must be one of {', '.join(CONNECT_FLOWS)}.")
        auto_authorize = body.get("auto_authorize", self.connections.auto_authorize)
        if not isinstance(auto_authorize, bool):
            raise bad_request("auto_authorize must be true or false.")
        self.connections.build_seconds = float(build_seconds)
        self.connections.connect_flow = connect_flow
        self.connections.auto_authorize = auto_authorize
        return json_reply(self._settings())

    def control_reset(self, request: Request) -> Reply:
        body = request.json(default={})
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        wanted = {"connections": True, "faults": True, "counters": True, "settings": False,
                  "psa": False} | body  # fmt: skip
        if wanted["faults"]:
            self.faults.configure(FaultConfig())
        if wanted["connections"]:
            self.connections.reset()
        if wanted["counters"]:
            self.reset_stats()
        if wanted["settings"]:
            self.connections.build_seconds = self.config.build_seconds
            self.connections.connect_flow = self.config.connect_flow
            self.connections.auto_authorize = self.config.auto_authorize
        if wanted["psa"]:
            with self._psa_lock:
                old, self._psa = self._psa, None
            if old is not None and hasattr(old, "close"):
                old.close()
        return json_reply({"reset": sorted(name for name, on in wanted.items() if on)})

    def control_connection(self, request: Request, cid: str, step: str) -> Reply:
        if step == "authorize":
            connection = self.connections.authorize(cid)
        elif step == "deny":
            connection = self.connections.deny(cid)
        elif step == "disconnect":
            connection = self.connections.disconnect(cid)
        else:
            body = request.json(default={}) or {}
            connection = self.connections.provide_input(
                cid, site=str(body.get("site", "")), company_id=str(body.get("companyId", ""))
            )
        return self._connection(request, connection)

    # -- one request -------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        """Answer one request (faults are applied by the HTTP handler before this)."""
        try:
            view, params = self.resolve(request.method, request.path)
            return view(request, **params)
        except SandboxError as exc:
            return error_reply(exc)


def _find_action(id_or_key: str) -> Any:
    action = catalog.find_action(id_or_key)
    if action is None:
        raise not_found("Action", id_or_key)
    return action


def _wrapped_input(request: Request) -> dict:
    """The input of a run whose body is {"input": {...}}."""
    body = request.json(default={})
    if not isinstance(body, dict):
        raise bad_request('The body must be a JSON object: {"input": {...}}.')
    action_input = body.get("input")
    return {} if action_input is None else action_input


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def verify_hs256(token: str, secret: str) -> dict | None:
    """The claims of an HS256 JWT signed with ``secret``; None when it is not one.

    Done by hand (stdlib hmac) so the sandbox's short default secret raises no
    key-length warnings; expiry is checked by the caller.
    """
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        signature = _b64decode(signature_b64)
        claims = json.loads(_b64decode(payload_b64))
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return None
    expected = hmac.new(
        secret.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        return None
    return claims


def _flag(value: str | None, name: str) -> bool:
    if value is None or value.lower() in ("false", "0", ""):
        return False
    if value.lower() in ("true", "1"):
        return True
    raise bad_request(f"{name} must be true or false; got {value!r}.")


def _int_param(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name} must be a whole number from {low} to {high}.") from None
    if not low <= number <= high:
        raise bad_request(f"{name} must be from {low} to {high}; got {number}.")
    return number


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


class SandboxHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; turns sockets into ``Request``s and applies faults."""

    protocol_version = "HTTP/1.1"
    server_version = "MembraneSandbox/1.0"
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    # Headers and body go out in separate writes; with Nagle on, each small answer waits
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:
        self.serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.config.verbose:
            super().log_message(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """Protocol-level refusals (URI too long, bad request line...) as Membrane error bodies."""
        self.log_error("code %d, message %s", code, message)
        text = message or self.responses.get(code, ("Error",))[0]
        body = json.dumps({"type": "bad_request", "key": f"http_{code}", "message": text,
                           "data": {"explain": explain} if explain else None}).encode()  # fmt: skip
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Connection", "close")
        if code >= 200 and code not in (204, 304) and self.command != "HEAD":
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.end_headers()

    def serve(self) -> None:
        app = self.server.app
        started = time.perf_counter()
        try:
            body = self.read_body()
        except SandboxError as exc:
            self.close_connection = True
            self.send(error_reply(exc), started)
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path or "/",
            query=parse_qsl(url.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            base_url=f"http://{self.headers.get('Host') or self.server.authority}",
        )
        try:
            if not app.is_public(request.path):
                app.authenticate(request)
            if not app.is_public(request.path) and not app.is_control(request.path):
                app.count("api_requests")
                if self.apply_faults(request, started):
                    return
            reply = app.dispatch(request)
        except SandboxError as exc:
            reply = error_reply(exc)
        except Exception as exc:  # the server never dies on bad input
            self.log_error("unexpected error: %r", exc)
            reply = json_reply({"type": "internal", "key": "internal_error",
                                "message": f"The sandbox failed: {type(exc).__name__}: {exc}",
                                "data": None}, 500)  # fmt: skip
        self.send(reply, started)

    def apply_faults(self, request: Request, started: float) -> bool:
        """Inject the configured fault, if any; True when the request is answered."""
        app = self.server.app
        decision = app.faults.decide(reaches_psa=app.reaches_psa(request.method, request.path))
        if decision.latency_s:
            app.stopping.wait(decision.latency_s)
        config = app.faults.config
        if decision.kind == "drop":
            self.drop()
            return True
        if decision.kind == "timeout":
            app.stopping.wait(config.timeout_seconds)
            self.drop()
            return True
        if decision.kind == "error":
            status = config.error_status
            self.send(json_reply({"type": "internal", "key": "sandbox_fault",
                                  "message": f"The sandbox failed on purpose ({status}).",
                                  "data": None}, status), started)  # fmt: skip
            return True
        if decision.kind == "rate_limit":
            seconds = config.retry_after
            body = {"type": "bad_request", "key": "rate_limit_exceeded",
                    "message": f"Too many requests; retry after {seconds} second(s).",
                    "data": None}  # fmt: skip
            self.send(json_reply(body, 429, {"Retry-After": str(seconds)}), started)
            return True
        if decision.kind == "malformed_json":
            self.send(Reply(200, b'{"id": 1, "name": "cut sh'), started)
            return True
        return False

    def drop(self) -> None:
        """Close the socket without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size_line = self.rfile.readline(1024).split(b";")[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise bad_request("Malformed chunked body.") from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise SandboxError(413, "bad_request", "body_too_large", "Body too large.")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError:
            raise bad_request("Content-Length is not a number.") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise SandboxError(413, "bad_request", "body_too_large",
                               f"The body must be at most {MAX_BODY_BYTES} bytes.")  # fmt: skip
        return self.rfile.read(length) if length else b""

    def send(self, reply: Reply, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            self.send_response(reply.status)
            if reply.body or reply.status not in (204, 304):
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("x-sandbox-time-ms", f"{elapsed_ms:.3f}")
            self.send_header("Server-Timing", f"app;dur={elapsed_ms:.3f}")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (ConnectionError, OSError):
            self.close_connection = True


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server; ``url`` is the Membrane API URL clients use."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 8765):
        self.app = app
        super().__init__((host, port), SandboxHandler)

    @property
    def authority(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.authority}"

    def stop(self) -> None:
        self.app.close()
        self.shutdown()
        self.server_close()


def config_from_options(**options: Any) -> SandboxConfig:
    """A ``SandboxConfig`` from flat options; fault options go into ``faults``."""
    fault_names = {item.name for item in dataclasses.fields(FaultConfig)}
    faults = {name: options.pop(name) for name in list(options) if name in fault_names}
    if isinstance(options.get("faults"), FaultConfig):
        base = options.pop("faults").as_dict()
    else:
        base = options.pop("faults", None) or {}
    config = SandboxConfig(**options)
    config.faults = FaultConfig.from_dict({**base, **faults})
    if config.connect_flow not in CONNECT_FLOWS:
        raise ValueError(f"connect_flow must be one of {', '.join(CONNECT_FLOWS)}")
    return config
