"""Run a sandbox in a background thread, for tests and benchmarks.

sandbox = start_sandbox(scale=SeedScale(tickets=50), build_seconds=0.2)
client = MembraneClient(base_url=sandbox.url, token=sandbox.token)
...
sandbox.stop()
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

from .server import SandboxApp, SandboxServer, config_from_options


@dataclass
class RunningSandbox:
    """A sandbox serving on 127.0.0.1; talk to it over HTTP like any client would."""

    server: SandboxServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.app.config.token

    @property
    def workspace_key(self) -> str:
        return self.server.app.config.workspace_key

    @property
    def workspace_secret(self) -> str:
        return self.server.app.config.workspace_secret

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        """Call a control endpoint (``/_sandbox/…``) and return its JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def set_faults(self, **faults: Any) -> dict:
        """Replace the faults, e.g. ``set_faults(error_every=2)``; no arguments clears them."""
        return self.control("POST", "/_sandbox/faults", faults)

    def clear_faults(self) -> dict:
        return self.set_faults()

    def set_settings(self, **settings: Any) -> dict:
        """``build_seconds``, ``connect_flow`` ("connect"/"provide-input"), ``auto_authorize``."""
        return self.control("POST", "/_sandbox/settings", settings)

    def reset(self, **parts: bool) -> dict:
        """Forget connections, faults and counters (``settings=True``/``psa=True`` for more)."""
        return self.control("POST", "/_sandbox/reset", parts)

    def stats(self) -> dict:
        """Counters: api_requests, psa_requests, proxy_requests, action_runs, faults_injected."""
        return self.control("GET", "/_sandbox/stats")

    def connection_step(self, connection_id: str, step: str, body: dict | None = None) -> dict:
        """authorize / deny / disconnect / provide-input without a browser."""
        return self.control("POST", f"/_sandbox/connections/{connection_id}/{step}", body or {})

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(
    *, port: int = 0, scale: Any = None, psa: Any = None, **options: Any
) -> RunningSandbox:
    """Start a sandbox on 127.0.0.1 (a free port when ``port`` is 0) in a daemon thread.

    ``options`` are ``SandboxConfig`` fields (token, build_seconds, connect_flow,
    auto_authorize, seed, db_path, verbose) and fault options (latency_ms,
    rate_limit_every, error_every, timeout_every, drop_every, psa_rate_limit_per_minute, …).
    """
    config = config_from_options(scale=scale, **options)
    app = SandboxApp(config, psa=psa)
    app.load_psa()
    server = SandboxServer(app, "127.0.0.1", port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        daemon=True,
        name=f"sandbox-{server.server_address[1]}",
    )
    thread.start()
    return RunningSandbox(server=server, thread=thread)
