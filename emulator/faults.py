"""Fault injection: the next N matching API requests fail in a chosen way.

Modes:

* ``error``: answer ``status`` (default 503) with a Cloudflare-style error body
  (code ``1000 + status`` unless ``code`` is given) without touching state.
* ``rate_limit``: answer 429 with ``Retry-After: retry_after`` and code 971.
* ``reset``: close the connection with no response before handling (TCP reset on a real
  socket; ``httpx.ReadError`` in-process).
* ``delay``: wait ``delay_seconds`` (at most ``MAX_DELAY_SECONDS``), then handle normally.
* ``drop_after_commit``: handle the request (state changes), then close the connection
  with no response (``httpx.RemoteProtocolError``).

A fault matches when ``method`` (if given) equals the request method and ``path_contains``
(if given) is a substring of the request path. Faults are consumed in the order they were
added; each match uses up one of its ``count``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("error", "rate_limit", "reset", "delay", "drop_after_commit")
#: Longest ``delay``: enough to outlast any client timeout, short enough never to hang a test.
MAX_DELAY_SECONDS = 300.0


@dataclass
class Fault:
    mode: str
    count: int = 1
    status: int = 503
    retry_after: int = 1
    delay_seconds: float = 0.2
    method: str | None = None
    path_contains: str | None = None
    code: int | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise ValueError("count must be an integer >= 1")
        if not isinstance(self.status, int) or not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400..599)")
        if not isinstance(self.retry_after, int) or self.retry_after < 0:
            raise ValueError("retry_after must be an integer >= 0")
        if (
            not isinstance(self.delay_seconds, int | float)
            or isinstance(self.delay_seconds, bool)
            or not 0 <= self.delay_seconds <= MAX_DELAY_SECONDS
        ):
            raise ValueError(f"delay_seconds must be a number from 0 to {MAX_DELAY_SECONDS:g}")
        if self.code is not None and (not isinstance(self.code, int) or self.code < 1000):
            raise ValueError("code must be an integer >= 1000")
        if self.method is not None:
            self.method = self.method.upper()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        if not isinstance(data, Mapping):
            raise ValueError("a fault must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "mode" not in data:
            raise ValueError("a fault needs a mode")
        return cls(**dict(data))

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path_contains is None or self.path_contains in path

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """The queue of pending faults (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def replace(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, with one of its uses consumed; ``None`` if none match."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]
