"""A small client for the control API (``/__emulator/…``) of a running emulator.

Works against any emulator on a socket — :class:`emulator.server.EmulatorServer` or a
``python -m emulator`` process: ``EmulatorControl("http://127.0.0.1:PORT")``.
"""

from __future__ import annotations

from typing import Any

import httpx

from emulator.lifetime import Lifetime


class EmulatorControl(Lifetime):
    def __init__(self, root_url: str, *, timeout: float = 10.0) -> None:
        self.root_url = root_url.rstrip("/")
        self._http = httpx.Client(base_url=self.root_url + "/__emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http.request(method, path, json=json)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The API request log, oldest first (see :meth:`emulator.Emulator.requests`)."""
        result: list[dict[str, Any]] = self._call("GET", "/requests")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def responses(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/responses")
        return result

    def internal_errors(self) -> list[str]:
        result: list[str] = self._call("GET", "/internal_errors")
        return result

    def add_fault(self, mode: str, **fields: Any) -> list[dict[str, Any]]:
        """Queue a fault, e.g. ``add_fault("error", status=503, count=2, method="POST")``."""
        result: dict[str, Any] = self._call("POST", "/faults", {"mode": mode, **fields})
        return list(result["faults"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_acm_enabled(self, zone_id: str, enabled: bool) -> None:
        self._call("PUT", f"/zones/{zone_id}", {"acm_enabled": enabled})

    def declare_zone(self, zone_id: str, name: str | None = None) -> dict[str, Any]:
        """Make a zone known to ``GET /zones`` (optionally with its domain name)."""
        body = {} if name is None else {"name": name}
        result: dict[str, Any] = self._call("PUT", f"/zones/{zone_id}", body)
        return result

    def zones(self) -> list[dict[str, Any]]:
        """The known zones: ``zone_id, known, name, acm_enabled``."""
        result: list[dict[str, Any]] = self._call("GET", "/zones")
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/clock", {"advance_seconds": seconds})
        return result

    def state(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/state")
        return result

    def reset(self) -> None:
        self._call("POST", "/reset")
