"""The control API (``/__emulator/…``): plain JSON, no auth, never logged or faulted.

::

    GET    /__emulator/  or  /__emulator/health
    POST   /__emulator/faults     {"mode": ..., "count": N, ...} or a list of those (appends)
    GET    /__emulator/faults     pending faults
    DELETE /__emulator/faults     clear
    GET    /__emulator/requests   the API request log, oldest first
    DELETE /__emulator/requests   clear it (and the recorded responses)
    GET    /__emulator/responses  every API response produced (for contract checks)
    DELETE /__emulator/responses  clear them
    GET    /__emulator/internal_errors   tracebacks of emulator bugs (answered 500)
    GET    /__emulator/zones      the known zones (what GET /zones lists)
    GET    /__emulator/zones/{zone_id}
    PUT    /__emulator/zones/{zone_id}   declare it: {"name"?: str, "acm_enabled"?: bool}
    GET    /__emulator/clock
    POST   /__emulator/clock      {"advance_seconds": N} moves the clock forward
    GET    /__emulator/state      every stored entry, all zones (debugging)
    POST   /__emulator/reset      forget everything: entries, zones, faults, logs, clock offset

Bad input answers 400 ``{"error": "..."}``; an unknown endpoint 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request

from emulator import errors
from emulator.clock import rfc3339_precise
from emulator.faults import Fault
from emulator.wsgi import json_body, read_body, routing_map
from emulator.zones import ID_PATTERN, check_zone_name

if TYPE_CHECKING:
    from emulator.app import Emulator

CONTROL_PREFIX = "/__emulator"

Answer = tuple[int, Any]


def dispatch(emu: Emulator, request: Request, path: str) -> Answer:
    """Answer one control request (``path`` includes ``CONTROL_PREFIX``)."""
    try:
        name, args = _MAP.match(path, method=request.method)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return 404, {"error": f"no control endpoint {request.method} {path}"}
    handler: Callable[..., Answer] = _HANDLERS[name]
    try:
        return handler(emu, request, **args)
    except ValueError as exc:
        return 400, {"error": str(exc)}
    except errors.ApiError as exc:  # an unreadable body
        return 400, {"error": exc.message}


def _json(request: Request) -> Any:
    return json_body(read_body(request))


def _health(emu: Emulator, request: Request) -> Answer:
    return 200, {"ok": True, "now": rfc3339_precise(emu.clock())}


def _add_faults(emu: Emulator, request: Request) -> Answer:
    data = _json(request)
    items = data if isinstance(data, list) else [data]
    for fault in [Fault.from_json(item) for item in items]:  # all valid, or none added
        emu.faults.add(fault)
    return 200, {"faults": emu.faults.pending()}


def _faults(emu: Emulator, request: Request) -> Answer:
    return 200, {"faults": emu.faults.pending()}


def _clear_faults(emu: Emulator, request: Request) -> Answer:
    emu.clear_faults()
    return 200, {"faults": []}


def _requests(emu: Emulator, request: Request) -> Answer:
    return 200, emu.requests()


def _clear_requests(emu: Emulator, request: Request) -> Answer:
    emu.clear_requests()
    return 200, []


def _responses(emu: Emulator, request: Request) -> Answer:
    return 200, emu.responses()


def _clear_responses(emu: Emulator, request: Request) -> Answer:
    emu.clear_responses()
    return 200, []


def _internal_errors(emu: Emulator, request: Request) -> Answer:
    return 200, emu.internal_errors()


def _zone_view(emu: Emulator, zone_id: str) -> dict[str, Any]:
    zone = emu.store.zone(zone_id)
    return {
        "zone_id": zone_id,
        "known": zone is not None,
        "name": None if zone is None else zone.name,
        "acm_enabled": emu.store.acm_enabled(zone_id),
    }


def _zones(emu: Emulator, request: Request) -> Answer:
    return 200, [_zone_view(emu, zone.id) for zone in emu.store.zones()]


def _zone(emu: Emulator, request: Request, zone_id: str) -> Answer:
    _check_id(zone_id)
    return 200, _zone_view(emu, zone_id)


def _put_zone(emu: Emulator, request: Request, zone_id: str) -> Answer:
    _check_id(zone_id)
    data = _json(request)
    if not isinstance(data, dict) or set(data) - {"name", "acm_enabled"}:
        raise ValueError('expected {"name"?: "example.com", "acm_enabled"?: true|false}')
    if "acm_enabled" in data and not isinstance(data["acm_enabled"], bool):
        raise ValueError('expected {"acm_enabled": true|false}')
    name = check_zone_name(data["name"]) if "name" in data else None
    emu.declare_zone(zone_id, name)
    if "acm_enabled" in data:
        emu.set_acm_enabled(zone_id, data["acm_enabled"])
    return 200, _zone_view(emu, zone_id)


def _clock(emu: Emulator, request: Request) -> Answer:
    return 200, {"now": rfc3339_precise(emu.clock()), "offset_seconds": emu.clock.offset_seconds}


def _advance_clock(emu: Emulator, request: Request) -> Answer:
    data = _json(request)
    seconds = data.get("advance_seconds") if isinstance(data, dict) else None
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not 0 <= seconds < float("inf")
    ):
        raise ValueError('expected {"advance_seconds": N} with N >= 0, finite')
    emu.advance_clock(float(seconds))
    return _clock(emu, request)


def _state(emu: Emulator, request: Request) -> Answer:
    now = emu.clock()
    return 200, [
        {"zone_id": e.zone_id, "fingerprint_sha256": e.fingerprint, **e.to_api(now)}
        for e in emu.store.entries()
    ]


def _reset(emu: Emulator, request: Request) -> Answer:
    emu.reset()
    return 200, {"ok": True}


def _check_id(zone_id: str) -> None:
    if not ID_PATTERN.match(zone_id):
        raise ValueError("zone id must be 1..32 lowercase hex characters")


_HANDLERS: dict[str, Callable[..., Answer]] = {
    f.__name__: f
    for f in (
        _health,
        _add_faults,
        _faults,
        _clear_faults,
        _requests,
        _clear_requests,
        _responses,
        _clear_responses,
        _internal_errors,
        _zones,
        _zone,
        _put_zone,
        _clock,
        _advance_clock,
        _state,
        _reset,
    )
}

#: ``(method, path under CONTROL_PREFIX, handler)``.
CONTROL_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/", "_health"),
    ("GET", "/health", "_health"),
    ("POST", "/faults", "_add_faults"),
    ("GET", "/faults", "_faults"),
    ("DELETE", "/faults", "_clear_faults"),
    ("GET", "/requests", "_requests"),
    ("DELETE", "/requests", "_clear_requests"),
    ("GET", "/responses", "_responses"),
    ("DELETE", "/responses", "_clear_responses"),
    ("GET", "/internal_errors", "_internal_errors"),
    ("GET", "/zones", "_zones"),
    ("GET", "/zones/<zone_id>", "_zone"),
    ("PUT", "/zones/<zone_id>", "_put_zone"),
    ("GET", "/clock", "_clock"),
    ("POST", "/clock", "_advance_clock"),
    ("GET", "/state", "_state"),
    ("POST", "/reset", "_reset"),
)
_MAP = routing_map(CONTROL_PREFIX, CONTROL_ROUTES)
