"""Connections and connection requests of the sandbox, with Membrane's state machine:

BUILDING ─(build time)→ CLIENT_ACTION_REQUIRED ─authorize→ READY
                              │  ├─deny→ SETUP_FAILED
                              │  └─(provide-input) site + company id → connect
READY ─disconnect→ CLIENT_ACTION_REQUIRED (connect, connected=false) ─authorize→ READY
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .catalog import CONNECTOR_ID, INTEGRATION_ID, INTEGRATION_KEY

CONNECTWISE_DOMAINS = ("connectwise.com", "myconnectwise.net", "connectwisedev.com")
EXTERNAL_APP_ID = "6650c0ffee0000000000e4a0"
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
EDITABLE_FIELDS = ("name", "key", "meta", "connectorParameters", "input", "authOptionKey")
CONNECTION_REQUEST_FIELDS = (
    "integrationId", "integrationKey", "connectorId", "connectorKey", "connectorVersion",
    "connectionId", "connectionKey", "name", "allowMultipleConnections",
    "connectorParameters", "redirectUri", "prompt",
)  # fmt: skip


class SandboxError(Exception):
    """A Membrane error body to answer with."""

    def __init__(self, status: int, type: str, key: str, message: str, data: Any = None,
                 headers: dict[str, str] | None = None):  # fmt: skip
        super().__init__(message)
        self.status = status
        self.type = type
        self.key = key
        self.message = message
        self.data = data
        self.headers = headers or {}

    def as_body(self) -> dict:
        return error_body(self.type, self.key, self.message, self.data)


def error_body(type: str, key: str, message: str, data: Any = None) -> dict:
    """A Membrane error body; connection `errors[]` and `resultError` carry the same shape."""
    return {"type": type, "key": key, "message": message, "data": data}


def bad_request(message: str, key: str = "bad_request", data: Any = None) -> SandboxError:
    return SandboxError(400, "bad_request", key, message, data)


def not_authenticated(message: str) -> SandboxError:
    return SandboxError(401, "bad_request", "not_authenticated", message)


def not_found(what: str, ident: str) -> SandboxError:
    return SandboxError(404, "bad_request", "not_found", f"{what} {ident!r} was not found.")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalise_app_domain(app_url: Any) -> str:
    """The domain of an app URL or bare domain; raises bad_request when there is none."""
    if not isinstance(app_url, str) or not app_url.strip():
        raise bad_request("appUrl is required: the app's web address or domain.")
    text = app_url.strip()
    if len(text) > 2000:
        raise bad_request("appUrl is too long.")
    if "://" not in text:
        text = "https://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        host = ""
    try:
        ipaddress.ip_address(host)
        raise bad_request(f"appUrl must name a domain, not an IP address: {app_url!r}.")
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise bad_request(f"appUrl {app_url!r} does not contain a valid domain.")
    return host.removeprefix("www.")


def is_connectwise(domain: str) -> bool:
    return any(domain == known or domain.endswith("." + known) for known in CONNECTWISE_DOMAINS)


@dataclass
class Connection:
    id: str
    name: str
    key: str
    state: str = "BUILDING"
    connected: bool = False
    was_connected: bool = False
    errors: list[dict] = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    last_active_at: str | None = None
    archived_at: str | None = None
    retry_attempts: int = 0
    building_session_id: str | None = None
    build_ready_at: float = 0.0
    client_action_type: str = "connect"
    connector_parameters: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def touch(self) -> None:
        self.updated_at = now_iso()


@dataclass
class ConnectionRequest:
    id: str
    body: dict
    status: str = "pending"
    result_connection_id: str | None = None
    result_error: dict | None = None
    created_at: str = field(default_factory=now_iso)


class ConnectionStore:
    """All connections and connection requests; thread-safe."""

    def __init__(self, *, build_seconds: float = 1.5, connect_flow: str = "connect",
                 auto_authorize: bool = False, tenant_id: str = "sandbox-tenant"):  # fmt: skip
        self.build_seconds = build_seconds
        self.connect_flow = connect_flow
        self.auto_authorize = auto_authorize
        self.tenant_id = tenant_id
        self._changed = threading.Condition()
        self._connections: dict[str, Connection] = {}
        self._requests: dict[str, ConnectionRequest] = {}

    def reset(self) -> None:
        with self._changed:
            self._connections.clear()
            self._requests.clear()
            self._changed.notify_all()

    # -- state machine --------------------------------------------------------------

    def _advance(self, connection: Connection) -> None:
        """Finish building once the build time has passed."""
        if connection.state == "BUILDING" and time.monotonic() >= connection.build_ready_at:
            connection.building_session_id = None
            if self.auto_authorize:
                self._set_ready(connection)
            else:
                self._require(connection, self.connect_flow)

    def _require(self, connection: Connection, action_type: str) -> None:
        connection.state = "CLIENT_ACTION_REQUIRED"
        connection.client_action_type = action_type
        connection.connected = False
        connection.touch()

    def _set_ready(self, connection: Connection) -> None:
        connection.state = "READY"
        connection.connected = True
        connection.was_connected = True
        connection.errors = []
        connection.last_active_at = connection.updated_at = now_iso()

    def _get(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id)
        if connection is None:
            raise not_found("Connection", connection_id)
        self._advance(connection)
        return connection

    # -- API --------------------------------------------------------------------------

    def ensure(self, *, app_url: Any, name: Any = None) -> Connection:
        domain = normalise_app_domain(app_url)
        if not is_connectwise(domain):
            raise bad_request(
                f"No app matches {domain!r}: the sandbox only simulates ConnectWise PSA "
                "(connectwise.com).",
                key="app_not_found",
            )
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise bad_request("name must be a non-empty string when given.")
        with self._changed:
            for connection in self._connections.values():
                if connection.archived_at is None:
                    self._advance(connection)
                    if connection.state in ("SETUP_FAILED", "CONFIGURATION_ERROR"):
                        connection.errors = []
                        connection.retry_attempts += 1
                        self._require(connection, self.connect_flow)
                    return connection
            return self._create(name=name or "ConnectWise PSA", building=True)

    def _create(self, *, name: str, building: bool) -> Connection:
        connection = Connection(id=uuid.uuid4().hex[:24], name=name, key=INTEGRATION_KEY)
        if building:
            connection.building_session_id = uuid.uuid4().hex[:24]
            connection.build_ready_at = time.monotonic() + self.build_seconds
        else:
            self._set_ready(connection)
        self._connections[connection.id] = connection
        self._changed.notify_all()
        return connection

    def get(self, connection_id: str) -> Connection:
        with self._changed:
            return self._get(connection_id)

    def wait_while_building(self, connection_id: str, timeout: float) -> Connection:
        deadline = time.monotonic() + timeout
        with self._changed:
            connection = self._get(connection_id)
            while connection.state == "BUILDING":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                until_built = connection.build_ready_at - time.monotonic()
                self._changed.wait(max(0.001, min(remaining, until_built + 0.001)))
                connection = self._get(connection_id)
            return connection

    def list(self, *, include_archived: bool = False) -> list[Connection]:
        with self._changed:
            connections = [
                connection
                for connection in self._connections.values()
                if include_archived or connection.archived_at is None
            ]
            for connection in connections:
                self._advance(connection)
            return sorted(connections, key=lambda item: (item.created_at, item.id))

    def update(self, connection_id: str, fields: Any) -> Connection:
        if not isinstance(fields, dict):
            raise bad_request("The body must be a JSON object of fields to change.")
        unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
        if unknown:
            raise bad_request(
                f"Cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}."
            )
        for name in ("name", "key"):
            if name in fields and (not isinstance(fields[name], str) or not fields[name].strip()):
                raise bad_request(f"{name} must be a non-empty string.")
        for name in ("meta", "connectorParameters"):
            if name in fields and not isinstance(fields[name], dict):
                raise bad_request(f"{name} must be an object.")
        with self._changed:
            connection = self._get(connection_id)
            connection.name = fields.get("name", connection.name)
            connection.key = fields.get("key", connection.key)
            connection.meta = fields.get("meta", connection.meta)
            connection.connector_parameters = fields.get(
                "connectorParameters", connection.connector_parameters
            )
            connection.touch()
            self._changed.notify_all()
            return connection

    def archive(self, connection_id: str) -> None:
        with self._changed:
            connection = self._get(connection_id)
            if connection.archived_at is None:
                connection.archived_at = now_iso()
                connection.connected = False
                connection.touch()
            self._changed.notify_all()

    def refresh_credentials(self, connection_id: str) -> Connection:
        with self._changed:
            connection = self.require_ready(connection_id)
            connection.last_active_at = now_iso()
            connection.touch()
            return connection

    def require_ready(self, connection_id: str) -> Connection:
        """The connection, if it can reach the PSA now; otherwise a ``connection`` error."""
        with self._changed:
            connection = self._get(connection_id)
            if connection.archived_at is not None:
                raise SandboxError(
                    400, "connection", "connection_is_archived",
                    f"Connection {connection_id} is archived.",
                )  # fmt: skip
            if connection.state != "READY":
                defunct = connection.was_connected or connection.state in (
                    "SETUP_FAILED", "CONFIGURATION_ERROR"
                )  # fmt: skip
                raise SandboxError(
                    400, "connection",
                    "connection_is_defunct" if defunct else "connection_not_ready",
                    f"Connection {connection_id} is not ready (state {connection.state}); "
                    "finish connecting it first.",
                    data={"state": connection.state},
                )  # fmt: skip
            connection.last_active_at = now_iso()
            return connection

    # -- what the person does on the sandbox UI pages ----------------------------------

    def authorize(self, connection_id: str) -> Connection:
        with self._changed:
            connection = self._get(connection_id)
            if connection.state != "CLIENT_ACTION_REQUIRED" or (
                connection.client_action_type != "connect"
            ):
                raise bad_request(
                    f"Connection {connection_id} is {connection.state}; nothing to authorize."
                )
            self._set_ready(connection)
            self._changed.notify_all()
            return connection

    def deny(self, connection_id: str) -> Connection:
        with self._changed:
            connection = self._get(connection_id)
            if connection.state != "CLIENT_ACTION_REQUIRED":
                raise bad_request(f"Connection {connection_id} is {connection.state}.")
            connection.state = "SETUP_FAILED"
            connection.connected = False
            connection.errors = [
                error_body(
                    "connection",
                    "access_denied",
                    "Access to ConnectWise PSA was denied on the authorization page.",
                    {"connectionId": connection.id},
                )
            ]
            connection.touch()
            self._changed.notify_all()
            return connection

    def provide_input(self, connection_id: str, *, site: str, company_id: str) -> Connection:
        site_domain = normalise_app_domain(site)
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", company_id or ""):
            raise bad_request("The company id is 1–50 letters, digits, dots, dashes or _.")
        with self._changed:
            connection = self._get(connection_id)
            if connection.state != "CLIENT_ACTION_REQUIRED" or (
                connection.client_action_type != "provide-input"
            ):
                raise bad_request(f"Connection {connection_id} is not waiting for input.")
            connection.connector_parameters = {"site": site_domain, "companyId": company_id}
            self._require(connection, "connect")
            self._changed.notify_all()
            return connection

    def disconnect(self, connection_id: str) -> Connection:
        with self._changed:
            connection = self._get(connection_id)
            if connection.state != "READY":
                raise bad_request(
                    f"Only a READY connection can be disconnected; this one is {connection.state}."
                )
            self._require(connection, "connect")
            connection.errors = [
                error_body(
                    "connection",
                    "access_token_expired",
                    "The ConnectWise PSA credentials stopped working; reconnect.",
                    {"connectionId": connection.id},
                )
            ]
            self._changed.notify_all()
            return connection

    # -- connection requests ------------------------------------------------------------

    def create_request(self, body: Any) -> ConnectionRequest:
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        unknown = sorted(set(body) - set(CONNECTION_REQUEST_FIELDS))
        if unknown:
            raise bad_request(f"Unknown field(s): {', '.join(unknown)}.")
        if not any(
            body.get(name)
            for name in ("integrationId", "integrationKey", "connectorId", "connectorKey",
                         "connectionId", "connectionKey")
        ):  # fmt: skip
            raise bad_request(
                "Say what to connect: connectorId, integrationKey or connectionId (to reconnect)."
            )
        if body.get("integrationKey") not in (None, INTEGRATION_KEY) or body.get(
            "connectorId"
        ) not in (None, CONNECTOR_ID):
            raise bad_request(
                "The sandbox only knows the ConnectWise PSA integration "
                f"(integrationKey {INTEGRATION_KEY!r}, connectorId {CONNECTOR_ID!r})."
            )
        with self._changed:
            if body.get("connectionId"):
                self._get(str(body["connectionId"]))
            request = ConnectionRequest(id=uuid.uuid4().hex[:24], body=dict(body))
            self._requests[request.id] = request
            return request

    def get_request(self, request_id: str) -> ConnectionRequest:
        with self._changed:
            request = self._requests.get(request_id)
            if request is None:
                raise not_found("Connection request", request_id)
            return request

    def finish_request(self, request_id: str, *, authorized: bool) -> ConnectionRequest:
        with self._changed:
            request = self.get_request(request_id)
            if request.status != "pending":
                raise bad_request(f"This connection request is already {request.status}.")
            if not authorized:
                request.status = "cancelled"
                request.result_error = error_body(
                    "connection", "access_denied", "Access to ConnectWise PSA was denied.",
                    {"requestId": request.id},
                )  # fmt: skip
            else:
                connection_id = request.body.get("connectionId")
                if connection_id:
                    connection = self._get(str(connection_id))
                    self._set_ready(connection)
                else:
                    connection = self._create(
                        name=request.body.get("name") or "ConnectWise PSA", building=False
                    )
                request.status = "success"
                request.result_connection_id = connection.id
            self._changed.notify_all()
            return request

    # -- JSON ---------------------------------------------------------------------------

    def connection_json(self, connection: Connection, base_url: str) -> dict:
        body: dict[str, Any] = {
            "id": connection.id,
            "name": connection.name,
            "key": connection.key,
            "state": connection.state,
            "connected": connection.connected,
            "disconnected": not connection.connected,
            "isDefunct": connection.state != "READY"
            and (
                connection.was_connected
                or connection.state in ("SETUP_FAILED", "CONFIGURATION_ERROR")
            ),
            "errors": connection.errors,
            "integrationId": INTEGRATION_ID,
            "connectorId": CONNECTOR_ID,
            "externalAppId": EXTERNAL_APP_ID,
            "userId": "sandbox-user",
            "tenantId": self.tenant_id,
            "createdAt": connection.created_at,
            "updatedAt": connection.updated_at,
            "retryAttempts": connection.retry_attempts,
            "canRefreshCredentials": True,
            "connectorParameters": connection.connector_parameters,
            "meta": connection.meta,
        }
        # No automatic retries are scheduled, so nextRetryTimestamp (an optional string in
        # the SDK's schema) is left out rather than sent as null.
        if connection.last_active_at:
            body["lastActiveAt"] = connection.last_active_at
        if connection.archived_at:
            body["archivedAt"] = connection.archived_at
        if connection.errors and connection.state in ("SETUP_FAILED", "CONFIGURATION_ERROR"):
            body["requestError"] = connection.errors[0]
        if connection.state == "BUILDING":
            body["buildingAgentSessionId"] = connection.building_session_id
        if connection.state == "CLIENT_ACTION_REQUIRED":
            body["clientAction"] = self._client_action(connection, base_url)
        return body

    @staticmethod
    def _client_action(connection: Connection, base_url: str) -> dict:
        ui_url = f"{base_url}/ui/connect/{connection.id}"
        if connection.client_action_type == "provide-input":
            return {
                "type": "provide-input",
                "description": "Tell us which ConnectWise PSA site and company to connect to.",
                "uiUrl": ui_url,
                "agentInstructions": "Ask the person to open uiUrl and enter the PSA site and "
                "company id, then poll the connection until its state changes.",
            }
        reconnect = connection.was_connected
        return {
            "type": "connect",
            "description": (
                "Reconnect ConnectWise PSA: the saved credentials stopped working."
                if reconnect
                else "Sign in to ConnectWise PSA to authorize access."
            ),
            "uiUrl": ui_url,
            "agentInstructions": "Ask the person to open uiUrl and authorize access, then "
            "poll the connection until its state changes.",
        }

    def request_json(self, request: ConnectionRequest, base_url: str) -> dict:
        body = {
            "requestId": request.id,
            "tenantId": self.tenant_id,
            **request.body,
            "status": request.status,
            "createdAt": request.created_at,
            "url": f"{base_url}/ui/connection-requests/{request.id}",
        }
        if request.result_connection_id:
            body["resultConnectionId"] = request.result_connection_id
        if request.result_error:
            body["resultError"] = request.result_error
        return body
