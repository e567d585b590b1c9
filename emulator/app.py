"""The emulator's HTTP face: a thin WSGI app over :mod:`emulator.state`.

API (under ``/client/v4``, Cloudflare's envelope, token or key-pair auth)::

    GET    /zones                                           the known zones (page, per_page,
                                                            name, status, order, direction)
    GET    /zones/{zone_id}/acm/custom_trust_store          list  (page, per_page, limit, offset)
    POST   /zones/{zone_id}/acm/custom_trust_store          upload {"certificate": PEM}
    GET    /zones/{zone_id}/acm/custom_trust_store/{id}     get
    DELETE /zones/{zone_id}/acm/custom_trust_store/{id}     delete -> {"id": ...}

Each API request goes through, in order: request log → fault injection → rate limit →
authentication → routing (invalid ids: 400 with 7003 + 7000, OUR choice of status, the
wording observed) → the zone's ACM switch (1450) → the handler.

Control API (outside ``/client/v4``, no token, plain JSON, never logged or faulted)::

    GET    /__emulator/health
    POST   /__emulator/faults     {"mode": ..., "count": N, ...} or a list of those (appends)
    GET    /__emulator/faults     pending faults
    DELETE /__emulator/faults     clear
    GET    /__emulator/requests   the API request log, oldest first
    DELETE /__emulator/requests   clear it (and the recorded responses)
    GET    /__emulator/responses  every API response produced (for contract checks)
    GET    /__emulator/internal_errors   tracebacks of emulator bugs (answered 500)
    DELETE /__emulator/responses  clear them
    GET    /__emulator/zones        the known zones (what GET /zones lists)
    GET|PUT /__emulator/zones/{zone_id}   PUT declares it: {"name"?: str, "acm_enabled"?: bool}
    GET|POST /__emulator/clock    {"advance_seconds": N} moves the clock forward
    GET    /__emulator/state      every stored entry, all zones (debugging)
    POST   /__emulator/reset      forget everything: entries, zones, faults, logs, clock offset
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator import errors
from emulator.clock import Clock, OffsetClock, rfc3339, rfc3339_precise, system_clock
from emulator.config import EmulatorConfig
from emulator.faults import Fault, FaultPlan
from emulator.ratelimit import RateLimiter
from emulator.state import Store
from emulator.zones import ID_PATTERN, check_zone_name, list_zones

API_PREFIX = "/client/v4"
CONTROL_PREFIX = "/__emulator"

#: WSGI environ key: a ``sleep(seconds)`` callable used for ``delay`` faults (the in-process
#: transport passes one that respects the client's read timeout).
SLEEP_KEY = "emulator.sleep"

_ID = ID_PATTERN
_BEARER = re.compile(r"^Bearer ([!-~]+)$")

StartResponse = Callable[..., Any]


class DropConnection(Exception):
    """Raised by the WSGI app: close the connection without any response.

    ``mode`` is ``"reset"`` (before handling) or ``"drop_after_commit"`` (after handling).
    The bundled server and :class:`emulator.transport.EmulatorTransport` translate it; other
    WSGI servers will see an exception (a 500), which is as close as they can get.
    """

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode


@dataclass
class _Outcome:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    operation: str | None = None


class Emulator:
    """One emulated Cloudflare API: state, faults, rate limit, request log, WSGI app."""

    def __init__(self, config: EmulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = OffsetClock(clock or system_clock)
        self.store = Store(
            clock=self.clock,
            activation_delay=self.config.activation_delay,
            deletion_delay=self.config.deletion_delay,
            db_path=self.config.db_path,
        )
        saved_offset = self.store.meta("clock_offset")
        if saved_offset:
            self.clock.advance(float(saved_offset))
        self._no_time_travel()
        self._declare_configured_zones()
        self.faults = FaultPlan()
        self._limiter = (
            RateLimiter(*self.config.rate_limit, now=self._monotonic)
            if self.config.rate_limit
            else None
        )
        self._log: list[dict[str, Any]] = []
        self._responses: list[dict[str, Any]] = []
        self._seq = 0
        self._internal_errors: list[str] = []
        self._log_lock = threading.Lock()

    # -- Python API for tests ----------------------------------------------------------------
    @property
    def wsgi_app(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        return self._wsgi

    def now(self) -> Any:
        return self.clock()

    def requests(self) -> list[dict[str, Any]]:
        """The API request log, oldest first: ``seq, method, path, query, status, fault, time``
        (``status`` is ``None`` when no response was sent; then ``applied_status`` says what
        the dropped response would have been, for ``drop_after_commit``)."""
        with self._log_lock:
            return [dict(r) for r in self._log]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()
            self._responses.clear()

    def responses(self) -> list[dict[str, Any]]:
        """Every API response produced: ``seq, method, path, operation, status, body,
        delivered`` (``delivered`` is False for ``drop_after_commit``)."""
        with self._log_lock:
            return [dict(r) for r in self._responses]

    def internal_errors(self) -> list[str]:
        """Tracebacks of emulator bugs hit while handling API requests (answered with 500)."""
        with self._log_lock:
            return list(self._internal_errors)

    def clear_responses(self) -> None:
        with self._log_lock:
            self._responses.clear()

    def set_faults(self, *faults: Fault | Mapping[str, Any]) -> None:
        """Replace the pending faults with these (``Fault`` objects or dicts of its fields)."""
        self.faults.replace([_as_fault(f) for f in faults])

    def add_fault(self, mode: str, **fields: Any) -> Fault:
        """Queue one more fault, e.g. ``add_fault("error", status=503, count=2)``."""
        fault = Fault.from_json({"mode": mode, **fields})
        self.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_acm_enabled(self, zone_id: str, enabled: bool) -> None:
        self.store.set_acm_enabled(zone_id, enabled)

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.store.set_meta("clock_offset", repr(self.clock.offset_seconds))

    def reset(self) -> None:
        """Forget everything: entries, zones, faults, logs, rate-limit windows, clock offset
        (zones declared in the config are declared again)."""
        self.store.reset()
        self._declare_configured_zones()
        self.faults.clear()
        self.clear_requests()
        self.clock.reset_offset()
        with self._log_lock:
            self._seq = 0
        if self._limiter is not None:
            self._limiter.reset()

    def close(self) -> None:
        self.store.close()

    def declare_zone(self, zone_id: str, name: str | None = None) -> None:
        """Make a zone known to ``GET /zones`` (``name`` default: ``<id>.example.com``)."""
        self.store.declare_zone(zone_id, name)

    def _declare_configured_zones(self) -> None:
        for zone_id, name in self.config.zones:
            self.store.declare_zone(zone_id, name)

    def _no_time_travel(self) -> None:
        """After a restart on a persisted store, never let the clock run behind what it
        already recorded (e.g. ``--start-time`` given again): move it forward if needed."""
        latest = max(
            (
                t
                for e in self.store.entries()
                for t in (e.uploaded_on, e.deletion_requested_at)
                if t is not None
            ),
            default=None,
        )
        if latest is not None:
            behind = (latest - self.clock()).total_seconds()
            if behind > 0:
                self.advance_clock(behind)

    def _monotonic(self) -> float:
        return time.monotonic() + self.clock.offset_seconds

    # -- WSGI ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            status, payload = self._control(environ, path[len(CONTROL_PREFIX) :])
            return _send(start_response, status, payload, {})
        outcome = self._api(environ, path)
        headers = {"CF-RAY": f"{secrets.token_hex(8)}-EMU", **outcome.headers}
        return _send(start_response, outcome.status, outcome.body, headers)

    def _api(self, environ: dict[str, Any], path: str) -> _Outcome:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query_string = environ.get("QUERY_STRING", "")
        query = dict(urllib.parse.parse_qsl(query_string, keep_blank_values=True))
        with self._log_lock:
            self._seq += 1
            record: dict[str, Any] = {
                "seq": self._seq,
                "method": method,
                "path": path,
                "query": query,
                "status": None,
                "fault": None,
                "time": rfc3339_precise(self.clock()),
                "auth": _auth_kind(environ),
                "user_agent": environ.get("HTTP_USER_AGENT"),
            }
            self._log.append(record)

        fault = self.faults.take(method, path)
        if fault is not None:
            record["fault"] = fault.mode
            if fault.mode == "reset":
                raise DropConnection("reset")
            if fault.mode == "delay":
                environ.get(SLEEP_KEY, time.sleep)(fault.delay_seconds)
            elif fault.mode == "error":
                return self._finish(
                    record,
                    method,
                    path,
                    _failure(errors.injected(fault.status, fault.code, fault.message)),
                )
            elif fault.mode == "rate_limit":
                return self._finish(
                    record, method, path, _failure(errors.rate_limited(fault.retry_after))
                )

        body = _read_body(environ)
        try:
            outcome = self._handle(environ, method, path, query, body)
        except errors.ApiError as exc:
            outcome = _failure(exc)
        except Exception as exc:  # a bug in the emulator: answer 500, and keep it for tests
            with self._log_lock:
                self._internal_errors.append(traceback.format_exc())
            print(traceback.format_exc(), file=environ.get("wsgi.errors") or sys.stderr)
            outcome = _failure(errors.internal(exc))
        if fault is not None and fault.mode == "drop_after_commit":
            record["applied_status"] = outcome.status
            self._record_response(record, method, path, outcome, delivered=False)
            raise DropConnection("drop_after_commit")
        return self._finish(record, method, path, outcome)

    def _finish(
        self, record: dict[str, Any], method: str, path: str, outcome: _Outcome
    ) -> _Outcome:
        record["status"] = outcome.status
        self._record_response(record, method, path, outcome, delivered=True)
        return outcome

    def _record_response(
        self, record: dict[str, Any], method: str, path: str, outcome: _Outcome, *, delivered: bool
    ) -> None:
        with self._log_lock:
            self._responses.append(
                {
                    "seq": record["seq"],
                    "method": method,
                    "path": path,
                    "operation": outcome.operation,
                    "status": outcome.status,
                    "body": outcome.body,
                    "delivered": delivered,
                }
            )

    def _handle(
        self,
        environ: Mapping[str, Any],
        method: str,
        path: str,
        query: Mapping[str, str],
        body: bytes,
    ) -> _Outcome:
        if self._limiter is not None:
            wait = self._limiter.hit(_rate_key(environ))
            if wait is not None:
                raise errors.rate_limited(wait)
        self._authenticate(environ)

        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            raise errors.no_route()
        rest = path[len(API_PREFIX) :]
        if rest in ("/zones", "/zones/"):
            if method != "GET":
                raise errors.method_not_allowed(method)
            return self._list_zones(query)
        parts = rest.split("/")[1:]
        # ["zones", zone, "acm", "custom_trust_store"(, id)]
        if (
            len(parts) not in (4, 5)
            or parts[0] != "zones"
            or parts[2:4] != ["acm", "custom_trust_store"]
        ):
            raise errors.no_route()
        zone_id = parts[1]
        entry_id = parts[4] if len(parts) == 5 else None
        if not _ID.match(zone_id) or (entry_id is not None and not _ID.match(entry_id)):
            raise errors.invalid_route(rest)

        if entry_id is None:
            if method == "GET":
                return self._list(zone_id, query)
            if method == "POST":
                return self._upload(zone_id, body)
        else:
            if method == "GET":
                return _Outcome(200, _success(self.store.get(zone_id, entry_id)), operation="get")
            if method == "DELETE":
                return _Outcome(
                    200, _success(self.store.delete(zone_id, entry_id)), operation="delete"
                )
        raise errors.method_not_allowed(method)

    def _list(self, zone_id: str, query: Mapping[str, str]) -> _Outcome:
        self.store.require_acm(zone_id)
        page = self.store.list_page(
            zone_id,
            page=_int_param(query, "page", 1),
            per_page=_int_param(query, "per_page", 20),
            limit=_optional_int_param(query, "limit"),
            offset=_optional_int_param(query, "offset"),
        )
        body = _success(page.items)
        body["result_info"] = page.result_info()
        return _Outcome(200, body, operation="list")

    def _list_zones(self, query: Mapping[str, str]) -> _Outcome:
        page = list_zones(
            self.store.zones(),
            page=_int_param(query, "page", 1),
            per_page=_int_param(query, "per_page", 20),
            query=query,
        )
        body = _success(page.items)
        body["result_info"] = page.result_info()
        return _Outcome(200, body, operation="list_zones")

    def _upload(self, zone_id: str, body: bytes) -> _Outcome:
        self.store.require_acm(zone_id)
        text = body.decode("utf-8", errors="replace")
        if "PRIVATE KEY-----" in text:
            raise errors.private_key_material()
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            raise errors.invalid_body("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise errors.invalid_body('expected a JSON object like {"certificate": "<PEM>"}')
        certificate = data.get("certificate")
        if not isinstance(certificate, str) or not certificate.strip():
            raise errors.missing_certificate()
        return _Outcome(200, _success(self.store.upload(zone_id, certificate)), operation="create")

    def _authenticate(self, environ: Mapping[str, Any]) -> None:
        authorization = environ.get("HTTP_AUTHORIZATION")
        email = environ.get("HTTP_X_AUTH_EMAIL")
        key = environ.get("HTTP_X_AUTH_KEY")
        if authorization is not None:
            match = _BEARER.match(authorization.strip())
            if not match:
                raise errors.invalid_authorization_format()
            token = self.config.token
            if token is None or not hmac.compare_digest(match.group(1), token):
                raise errors.invalid_token()
            return
        if email is not None or key is not None:
            if not email or not key:
                raise errors.incomplete_key_pair(email_missing=not email, key_missing=not key)
            want_email, want_key = self.config.email, self.config.api_key
            if (
                want_email is None
                or want_key is None
                or email != want_email
                or not hmac.compare_digest(key or "", want_key)
            ):
                raise errors.unknown_key_or_email()
            return
        raise errors.missing_credentials()

    # -- control API -------------------------------------------------------------------------
    def _zone_view(self, zone_id: str) -> dict[str, Any]:
        zone = self.store.zone(zone_id)
        return {
            "zone_id": zone_id,
            "known": zone is not None,
            "name": None if zone is None else zone.name,
            "acm_enabled": self.store.acm_enabled(zone_id),
        }

    def _control(self, environ: dict[str, Any], sub: str) -> tuple[int, Any]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            return self._control_route(method, sub, _read_body(environ))
        except ValueError as exc:
            return 400, {"error": str(exc)}

    def _control_route(self, method: str, sub: str, body: bytes) -> tuple[int, Any]:
        if sub in ("", "/", "/health") and method == "GET":
            return 200, {"ok": True, "now": rfc3339_precise(self.clock())}
        if sub == "/faults":
            if method == "POST":
                data = _json(body)
                items = data if isinstance(data, list) else [data]
                new = [Fault.from_json(item) for item in items]
                for fault in new:
                    self.faults.add(fault)
                return 200, {"faults": self.faults.pending()}
            if method == "GET":
                return 200, {"faults": self.faults.pending()}
            if method == "DELETE":
                self.faults.clear()
                return 200, {"faults": []}
        if sub == "/requests":
            if method == "GET":
                return 200, self.requests()
            if method == "DELETE":
                self.clear_requests()
                return 200, []
        if sub == "/internal_errors" and method == "GET":
            return 200, self.internal_errors()
        if sub == "/responses":
            if method == "GET":
                return 200, self.responses()
            if method == "DELETE":
                self.clear_responses()
                return 200, []
        if sub == "/zones" and method == "GET":
            return 200, [self._zone_view(z.id) for z in self.store.zones()]
        if sub.startswith("/zones/"):
            zone_id = sub[len("/zones/") :]
            if not _ID.match(zone_id):
                return 400, {"error": "zone id must be 1..32 lowercase hex characters"}
            if method == "PUT":
                data = _json(body)
                if not isinstance(data, dict) or set(data) - {"name", "acm_enabled"}:
                    raise ValueError('expected {"name"?: "example.com", "acm_enabled"?: bool}')
                if "acm_enabled" in data and not isinstance(data["acm_enabled"], bool):
                    raise ValueError('expected {"acm_enabled": true|false}')
                name = check_zone_name(data["name"]) if "name" in data else None
                self.store.declare_zone(zone_id, name)
                if "acm_enabled" in data:
                    self.set_acm_enabled(zone_id, data["acm_enabled"])
            if method in ("PUT", "GET"):
                return 200, self._zone_view(zone_id)
        if sub == "/clock":
            if method == "POST":
                data = _json(body)
                seconds = data.get("advance_seconds") if isinstance(data, dict) else None
                if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                    raise ValueError('expected {"advance_seconds": N} with N >= 0')
                self.advance_clock(float(seconds))
            if method in ("POST", "GET"):
                return 200, {
                    "now": rfc3339_precise(self.clock()),
                    "offset_seconds": self.clock.offset_seconds,
                }
        if sub == "/state" and method == "GET":
            now = self.clock()
            return 200, [
                {"zone_id": e.zone_id, "fingerprint_sha256": e.fingerprint, **e.to_api(now)}
                for e in self.store.entries()
            ]
        if sub == "/reset" and method == "POST":
            self.reset()
            return 200, {"ok": True}
        return 404, {"error": f"no control endpoint {method} {CONTROL_PREFIX}{sub}"}


def _as_fault(value: Fault | Mapping[str, Any]) -> Fault:
    return value if isinstance(value, Fault) else Fault.from_json(value)


def _success(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def _failure(exc: errors.ApiError) -> _Outcome:
    return _Outcome(exc.status, exc.body(), dict(exc.headers))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from None


def _read_body(environ: Mapping[str, Any]) -> bytes:
    cached = environ.get("emulator.body")
    if isinstance(cached, bytes):
        return cached
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    data = stream.read(length) if stream is not None and length > 0 else b""
    if isinstance(environ, dict):
        environ["emulator.body"] = data
    return bytes(data)


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    value = _optional_int_param(query, name)
    return default if value is None else value


def _optional_int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise errors.invalid_query(f"{name} must be an integer; got {raw!r}") from None
    if not number.is_integer():
        raise errors.invalid_query(f"{name} must be an integer; got {raw!r}")
    return int(number)


def _auth_kind(environ: Mapping[str, Any]) -> str:
    if environ.get("HTTP_AUTHORIZATION") is not None:
        return "token"
    if environ.get("HTTP_X_AUTH_EMAIL") is not None or environ.get("HTTP_X_AUTH_KEY") is not None:
        return "key"
    return "none"


def _rate_key(environ: Mapping[str, Any]) -> str:
    if environ.get("HTTP_AUTHORIZATION"):
        return "token:" + str(environ["HTTP_AUTHORIZATION"])
    if environ.get("HTTP_X_AUTH_EMAIL"):
        return "email:" + str(environ["HTTP_X_AUTH_EMAIL"])
    return "ip:" + str(environ.get("REMOTE_ADDR", ""))


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _send(
    start_response: StartResponse, status: int, payload: Any, headers: Mapping[str, str]
) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *headers.items(),
        ],
    )
    return [data]


__all__ = ["API_PREFIX", "CONTROL_PREFIX", "SLEEP_KEY", "DropConnection", "Emulator", "rfc3339"]
