"""Zones as the emulator knows them, and ``GET /zones`` in Cloudflare's shape. No HTTP.

A zone is known once it is declared (``--zone``, ``EmulatorConfig.zones``, or the control
API) or once it holds an entry; it stays known after its store is emptied, as a real zone
does. Every known zone is ``active`` in one emulated account.

The listing follows the real ``GET /zones``: ``page`` (>= 1, default 1), ``per_page``
(5..50, default 20), ``name`` (exact, or ``contains:``/``starts_with:``/``ends_with:``),
``status``, ``order`` (``name``, ``status``, ``account.id``, ``account.name``,
``plan.id``), ``direction`` (``asc``/``desc``); ``result_info`` carries ``page``,
``per_page``, ``count``, ``total_count`` and ``total_pages``. A page past the end is empty.
Zone objects carry every field the official SDK's ``Zone`` model requires (cloudflare 5.9,
``types/zones/zone.py``). Default order: by name (OUR choice; the real default is
undocumented).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator import errors
from emulator.clock import rfc3339
from emulator.paging import Page

#: Zone and entry ids: 1..32 lowercase hex characters (32 in practice).
ID_PATTERN = re.compile(r"^[0-9a-f]{1,32}$")

ZONE_PER_PAGE_DEFAULT = 20
ZONE_PER_PAGE_MIN = 5
ZONE_PER_PAGE_MAX = 50

#: The one account every emulated zone belongs to.
ACCOUNT = {"id": "e1a7c0de0000000000000000000000a1", "name": "Emulated account"}
ZONE_STATUSES = ("initializing", "pending", "active", "moved")
ORDERS = ("name", "status", "account.id", "account.name", "plan.id")
PLAN = {
    "id": "94f3b7b768b0458b56d2cac4fe5ec0f9",
    "name": "Enterprise Website",
    "currency": "USD",
    "frequency": "",
    "price": 0,
    "is_subscribed": True,
    "can_subscribe": False,
    "legacy_id": "enterprise",
    "legacy_discount": False,
    "externally_managed": False,
}

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    created_on: dt.datetime
    acm_enabled: bool = True

    def to_api(self) -> dict[str, Any]:
        created = rfc3339(self.created_on)
        return {
            "id": self.id,
            "name": self.name,
            "status": "active",
            "paused": False,
            "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": None,
            "original_registrar": None,
            "original_dnshost": None,
            "vanity_name_servers": [],
            "created_on": created,
            "modified_on": created,
            "activated_on": created,
            "meta": {
                "step": 2,
                "custom_certificate_quota": 0,
                "page_rule_quota": 3,
                "phishing_detected": False,
            },
            "owner": {"id": None, "type": "user", "name": None},
            "account": dict(ACCOUNT),
            "tenant": {"id": None, "name": None},
            "tenant_unit": {"id": None},
            "permissions": ["#zone:read", "#ssl:read", "#ssl:edit"],
            "plan": dict(PLAN),
        }


def default_name(zone_id: str) -> str:
    """The name of a zone declared without one: ``<zone id>.example.com``."""
    return f"{zone_id}.example.com"


def check_zone_id(zone_id: object) -> str:
    if not isinstance(zone_id, str) or not ID_PATTERN.match(zone_id):
        raise ValueError(f"a zone id must be 1..32 lowercase hex characters; got {zone_id!r}")
    return zone_id


def check_zone_name(name: object) -> str:
    """A domain name: at most 253 characters, labels of 1..63 ``[a-z0-9-]``, lowercase."""
    if not isinstance(name, str) or not name or len(name) > 253:
        raise ValueError(f"a zone name must be a domain name of 1..253 characters; got {name!r}")
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"a zone name must be a lowercase domain name like example.com; got {name!r}"
        )
    return name


def parse_zone_declaration(text: str) -> tuple[str, str | None]:
    """``"ID"`` or ``"ID=NAME"`` (the ``--zone`` option) -> ``(id, name or None)``."""
    zone_id, sep, name = text.partition("=")
    check_zone_id(zone_id)
    return zone_id, (check_zone_name(name) if sep else None)


def list_zones(
    zones: Iterable[Zone],
    *,
    page: int = 1,
    per_page: int = ZONE_PER_PAGE_DEFAULT,
    query: Mapping[str, str] | None = None,
) -> Page:
    """One page of ``zones`` after the ``name``/``status`` filters and the ordering."""
    query = query or {}
    if page < 1:
        raise errors.invalid_query("page must be an integer >= 1")
    if not ZONE_PER_PAGE_MIN <= per_page <= ZONE_PER_PAGE_MAX:
        raise errors.invalid_query(
            f"per_page must be an integer between {ZONE_PER_PAGE_MIN} and {ZONE_PER_PAGE_MAX}"
        )
    rows = [z.to_api() for z in zones]
    if "name" in query:
        rows = [r for r in rows if _name_matches(r["name"], query["name"])]
    if "status" in query:
        if query["status"] not in ZONE_STATUSES:
            raise errors.invalid_query(f"status must be one of {', '.join(ZONE_STATUSES)}")
        rows = [r for r in rows if r["status"] == query["status"]]
    order = query.get("order", "name")
    if order not in ORDERS:
        raise errors.invalid_query(f"order must be one of {', '.join(ORDERS)}")
    direction = query.get("direction", "asc")
    if direction not in ("asc", "desc"):
        raise errors.invalid_query("direction must be asc or desc")
    rows.sort(key=lambda r: (_field(r, order), r["name"], r["id"]), reverse=direction == "desc")
    start = (page - 1) * per_page
    return Page(rows[start : start + per_page], page, per_page, len(rows), with_total_pages=True)


def _field(row: Mapping[str, Any], dotted: str) -> str:
    value: Any = row
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)


def _name_matches(name: str, wanted: str) -> bool:
    operator, sep, operand = wanted.partition(":")
    if sep and operator == "contains":
        return operand.lower() in name
    if sep and operator == "starts_with":
        return name.startswith(operand.lower())
    if sep and operator == "ends_with":
        return name.endswith(operand.lower())
    return name == wanted.lower()
