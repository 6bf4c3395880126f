"""Bearer tokens for Membrane: a fixed token, or short-lived JWTs minted from workspace keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx
import jwt

TOKEN_LIFETIME_SECONDS = 3600
#: Mint a new token when the current one has less than this left.
REMINT_MARGIN_SECONDS = 60


class StaticToken(httpx.Auth):
    """Sends the same token (e.g. a ``pat-…`` access token) on every request."""

    def __init__(self, token: str):
        self._token = token

    def token(self) -> str:
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request


class WorkspaceToken(StaticToken):
    """Mints HS256 JWTs signed with the workspace secret and re-mints them before expiry.

    Payload: ``{"id": tenant_key, "iss": workspace_key, "exp": now + 3600}``.
    """

    def __init__(
        self,
        *,
        workspace_key: str,
        workspace_secret: str,
        tenant_key: str | None = None,
        lifetime: int = TOKEN_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.workspace_key = workspace_key
        self.tenant_key = tenant_key
        self._secret = workspace_secret
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._expires_at = 0.0

    def token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._expires_at - now < REMINT_MARGIN_SECONDS:
                self._expires_at = int(now) + self._lifetime
                payload: dict[str, object] = {"iss": self.workspace_key, "exp": self._expires_at}
                if self.tenant_key is not None:
                    payload["id"] = self.tenant_key
                self._token = jwt.encode(payload, self._secret, algorithm="HS256")
            return self._token
