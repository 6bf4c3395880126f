"""Switchable faults for the sandbox: latency, 429s, 5xx, timeouts, dropped connections,
malformed JSON, a PSA-like per-minute rate limit, and empty list answers.

"Every Nth call" counts the calls the faults apply to since the faults were last set,
so a test that sets ``error_every=3`` knows that calls 3, 6, 9… fail.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

FAULT_SCOPES = ("all", "psa")


@dataclass(frozen=True)
class FaultConfig:
    """What to break. Zero means off."""

    latency_ms: int = 0
    rate_limit_every: int = 0
    retry_after: int = 1
    error_every: int = 0
    error_status: int = 503
    timeout_every: int = 0
    timeout_seconds: float = 5.0
    drop_every: int = 0
    #: Every Nth call is answered 200 with a cut-short JSON body, without being carried out
    #: (what a proxy that drops the end of an answer looks like).
    malformed_json_every: int = 0
    psa_rate_limit_per_minute: int = 0
    #: Every Nth list the proxy forwards comes back as ``[]``: what a permissions change in
    #: the PSA or a misbehaving proxy looks like (1: every list empty; 2: a cut-short sync).
    empty_list_every: int = 0
    #: "all": every API call; "psa": only calls that reach the PSA (proxy, action runs).
    scope: str = "all"

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FaultConfig:
        """Build from JSON, raising ValueError with a readable message on bad input."""
        if not isinstance(values, dict):
            raise ValueError("faults must be a JSON object")
        known = {item.name: item for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"unknown fault option(s): {', '.join(unknown)}; known: {', '.join(known)}"
            )
        cleaned: dict[str, Any] = {}
        for name, value in values.items():
            if name == "scope":
                if value not in FAULT_SCOPES:
                    raise ValueError(f"scope must be one of {', '.join(FAULT_SCOPES)}")
                cleaned[name] = value
                continue
            number_type = float if known[name].type in ("float", float) else int
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            if value < 0 or not math.isfinite(value):
                raise ValueError(f"{name} must be zero or more")
            cleaned[name] = number_type(value)
        config = cls(**cleaned)
        if not 500 <= config.error_status <= 599:
            raise ValueError("error_status must be between 500 and 599")
        return config

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FaultDecision:
    """What to do with one call."""

    kind: str | None = None  # None, "drop", "timeout", "error", "rate_limit", "malformed_json"
    latency_s: float = 0.0


@dataclass
class FaultInjector:
    """Decides, call by call, which fault (if any) hits; thread-safe."""

    config: FaultConfig = field(default_factory=FaultConfig)
    calls: int = 0
    list_calls: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _psa_window: deque = field(default_factory=deque, repr=False)

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self.calls = 0
            self.list_calls = 0
            self._psa_window.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.calls = 0
            self.list_calls = 0
            self.injected = {}
            self._psa_window.clear()

    def decide(self, *, reaches_psa: bool) -> FaultDecision:
        with self._lock:
            config = self.config
            if config.scope == "psa" and not reaches_psa:
                return FaultDecision()
            self.calls += 1
            number = self.calls
            kind = None
            for name, every in (
                ("drop", config.drop_every),
                ("timeout", config.timeout_every),
                ("error", config.error_every),
                ("rate_limit", config.rate_limit_every),
                ("malformed_json", config.malformed_json_every),
            ):
                if every and number % every == 0:
                    kind = name
                    break
            if kind:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            return FaultDecision(kind=kind, latency_s=config.latency_ms / 1000)

    def empty_list(self) -> bool:
        """Count one list answer of the proxy; True when it is to be sent back empty."""
        with self._lock:
            every = self.config.empty_list_every
            if not every:
                return False
            self.list_calls += 1
            if self.list_calls % every:
                return False
            self.injected["empty_list"] = self.injected.get("empty_list", 0) + 1
            return True

    def psa_retry_after(self, now: float | None = None) -> int | None:
        """Count one PSA request; seconds to wait if it is over the per-minute limit."""
        with self._lock:
            limit = self.config.psa_rate_limit_per_minute
            if not limit:
                return None
            now = time.monotonic() if now is None else now
            window = self._psa_window
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                self.injected["psa_rate_limit"] = self.injected.get("psa_rate_limit", 0) + 1
                return max(1, math.ceil(window[0] + 60 - now))
            window.append(now)
            return None
