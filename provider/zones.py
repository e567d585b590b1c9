"""A zone as ``GET /zones`` describes it: only what an audit needs (id, name, status).

Pure, like ``provider.entries``: the client turns each JSON zone into a ``Zone`` with
``parse_zone`` and translates its ``ValueError`` into a ``MalformedResponseError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.trust_rules.printable import printable
from provider.entries import is_cloudflare_id

#: Longest zone name kept (a DNS name is at most 253 characters).
MAX_ZONE_NAME = 253


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    status: str


def parse_zone(data: object) -> Zone:
    """One item of ``GET /zones``; ``ValueError`` when it is not a zone."""
    if not isinstance(data, dict):
        raise ValueError("a zone in the listing is not a JSON object")
    zone_id = data.get("id")
    if not isinstance(zone_id, str) or not is_cloudflare_id(zone_id):
        raise ValueError("a zone in the listing has no valid 'id' (1 to 32 hex digits)")
    name = data.get("name")
    status = data.get("status")
    return Zone(
        id=zone_id.lower(),
        name=printable(name[:MAX_ZONE_NAME]) if isinstance(name, str) else "",
        status=printable(status[:64]) if isinstance(status, str) else "",
    )
