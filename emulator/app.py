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

The control API (``/__emulator/``, no auth, never logged or faulted) is in
:mod:`emulator.control_routes`.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request

from emulator import control_routes, errors
from emulator.clock import Clock, OffsetClock, rfc3339, rfc3339_precise, system_clock
from emulator.config import EmulatorConfig
from emulator.control_routes import CONTROL_PREFIX
from emulator.faults import Fault, FaultPlan
from emulator.ratelimit import RateLimiter
from emulator.state import Store
from emulator.wsgi import StartResponse, json_body, path_of, read_body, routing_map, send_json
from emulator.zones import ID_PATTERN, check_zone_id, check_zone_name, list_zones

API_PREFIX = "/client/v4"

#: WSGI environ key: a ``sleep(seconds)`` callable used for ``delay`` faults (the in-process
#: transport passes one that respects the client's read timeout).
SLEEP_KEY = "emulator.sleep"

_ID = ID_PATTERN
_BEARER = re.compile(r"^Bearer ([!-~]+)$")
_ENCODED_SLASH = re.compile(r"%2f", re.IGNORECASE)


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
        """Make a zone known to ``GET /zones`` (``name`` default: ``<id>.example.com``);
        ``ValueError`` for an id or name Cloudflare could not have."""
        self.store.declare_zone(
            check_zone_id(zone_id), None if name is None else check_zone_name(name)
        )

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
        request = Request(environ)
        path = path_of(environ)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            status, payload = control_routes.dispatch(self, request, path)
            return send_json(start_response, request.method, status, payload, {})
        outcome = self._api(request, path)
        headers = {"CF-RAY": f"{secrets.token_hex(8)}-EMU", **outcome.headers}
        return send_json(start_response, request.method, outcome.status, outcome.body, headers)

    def _api(self, request: Request, path: str) -> _Outcome:
        method = _method_of(request)
        query = request.args.to_dict()
        environ = request.environ
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
                "user_agent": request.headers.get("User-Agent"),
            }
            self._log.append(record)

        fault = self.faults.take(method, path)
        if fault is not None:
            record["fault"] = fault.mode
            if fault.mode == "reset":
                # Read the whole request first, so the client sees a reset while awaiting the
                # answer, not a failed write.
                with contextlib.suppress(errors.ApiError):
                    read_body(request)
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

        try:
            outcome = self._handle(request, path, query)
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

    def _handle(self, request: Request, path: str, query: Mapping[str, str]) -> _Outcome:
        """Rate limit, authentication, then the route table (``API_ROUTES``)."""
        if self._limiter is not None:
            wait = self._limiter.hit(_rate_key(request.environ))
            if wait is not None:
                raise errors.rate_limited(wait)
        self._authenticate(request.environ)
        if _ENCODED_SLASH.search(request.environ.get("RAW_URI", "")):
            # An encoded '/' never splits the path: it stays inside an (invalid) id.
            raise errors.invalid_route(path[len(API_PREFIX) :])
        method = _method_of(request)
        try:
            if method != method.upper():  # werkzeug's routing would upper-case it
                raise MethodNotAllowed()
            endpoint, args = _API_MAP.match(path, method=method)
        except MethodNotAllowed:
            raise errors.method_not_allowed(method) from None
        except (NotFound, RequestRedirect):
            raise errors.no_route() from None
        if any(not _ID.match(value) for value in args.values()):
            raise errors.invalid_route(path[len(API_PREFIX) :])
        handler: Callable[..., _Outcome] = getattr(self, endpoint)
        return handler(request, query, **args)

    # -- API handlers (one per row of API_ROUTES) ----------------------------------------------
    def _list_zones(self, request: Request, query: Mapping[str, str]) -> _Outcome:
        page = list_zones(
            self.store.zones(),
            page=_int_param(query, "page", 1),
            per_page=_int_param(query, "per_page", 20),
            query=query,
        )
        body = _success(page.items)
        body["result_info"] = page.result_info()
        return _Outcome(200, body, operation="list_zones")

    def _list(self, request: Request, query: Mapping[str, str], zone_id: str) -> _Outcome:
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

    def _upload(self, request: Request, query: Mapping[str, str], zone_id: str) -> _Outcome:
        self.store.require_acm(zone_id)
        body = read_body(request)
        if b"PRIVATE KEY-----" in body:
            raise errors.private_key_material()
        data = json_body(body)
        if not isinstance(data, dict):
            raise errors.invalid_body('expected a JSON object like {"certificate": "<PEM>"}')
        certificate = data.get("certificate")
        if not isinstance(certificate, str) or not certificate.strip():
            raise errors.missing_certificate()
        return _Outcome(200, _success(self.store.upload(zone_id, certificate)), operation="create")

    def _get(
        self, request: Request, query: Mapping[str, str], zone_id: str, entry_id: str
    ) -> _Outcome:
        return _Outcome(200, _success(self.store.get(zone_id, entry_id)), operation="get")

    def _delete(
        self, request: Request, query: Mapping[str, str], zone_id: str, entry_id: str
    ) -> _Outcome:
        return _Outcome(200, _success(self.store.delete(zone_id, entry_id)), operation="delete")

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


#: The API, ``(method, path under API_PREFIX, handler)``. Path variables must be ids (else
#: 7003); other paths answer 7000, other methods on a known path 405.
API_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/zones", "_list_zones"),
    ("GET", "/zones/<zone_id>/acm/custom_trust_store", "_list"),
    ("POST", "/zones/<zone_id>/acm/custom_trust_store", "_upload"),
    ("GET", "/zones/<zone_id>/acm/custom_trust_store/<entry_id>", "_get"),
    ("DELETE", "/zones/<zone_id>/acm/custom_trust_store/<entry_id>", "_delete"),
)
_API_MAP = routing_map(API_PREFIX, API_ROUTES)


def _as_fault(value: Fault | Mapping[str, Any]) -> Fault:
    return value if isinstance(value, Fault) else Fault.from_json(value)


def _success(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def _failure(exc: errors.ApiError) -> _Outcome:
    return _Outcome(exc.status, exc.body(), dict(exc.headers))


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


def _method_of(request: Request) -> str:
    """The method as sent: methods are case-sensitive (RFC 9110 §9.1), so ``get`` is not
    ``GET`` (werkzeug's ``request.method`` upper-cases it)."""
    return str(request.environ.get("REQUEST_METHOD") or "GET")


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


__all__ = ["API_PREFIX", "CONTROL_PREFIX", "SLEEP_KEY", "DropConnection", "Emulator", "rfc3339"]
