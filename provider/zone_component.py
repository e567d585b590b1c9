"""``ZoneTrustStore``: one zone's trust store entries under one component, with zone outputs.

A stack of hundreds of zones is unreadable as a flat list of entries; the component groups
each zone's entries (its children) and answers the zone-level questions directly: which entry
ids the zone holds, how many of them are usable, and when the first one expires.

Names and URNs. The component is named by its zone (``zone-<zone id>``) and its entries keep
the names of ``provider.naming`` (zone + fingerprint), so adding or removing other zones or
files renames nothing. Parenting changes an entry's URN, and a changed URN without an alias is
a delete + create, which for a trust store entry means a moment in which the zone may lack its
CA; every entry therefore declares its earlier root-level URNs (by today's name and by the
file-derived name of versions before 0.2) as aliases, so stacks created before components
existed move under them with no API call. The policy pack judges resources by the entry's
type token; the component has its own type and no certificate, so it is never judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from policies.trust_rules.resource_type import STATUS
from provider.properties import EXPIRES_ON
from provider.zone_safety import USABLE_STATUSES

#: The component's type token in state.
COMPONENT_TYPE = "cloudflare-origin-trust-store:index:ZoneTrustStore"
COMPONENT_PREFIX = "zone-"

#: Output names, shared by the component and the stack's ``zones`` export.
ENTRY_IDS = "entryIds"
USABLE_COUNT = "usableCount"
EARLIEST_EXPIRY = "earliestExpiry"


def component_name(zone_id: str) -> str:
    """``zone-023e105f4ecef8ad9ca31a8372d0c353``: stable for as long as the zone is managed."""
    return f"{COMPONENT_PREFIX}{zone_id.strip().lower()}"


def parse_expiry(text: str) -> dt.datetime | None:
    """An entry's ``expiresOn`` (RFC 3339 with ``Z``) as an aware datetime, ``None`` if absent."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def zone_summary(entries: Sequence[Mapping[str, Any]], now: dt.datetime) -> dict[str, Any]:
    """``usableCount`` and ``earliestExpiry`` from the entries' outputs (``status``,
    ``expiresOn``); usable means what the delete guard means (``provider.zone_safety``)."""
    usable = 0
    earliest: dt.datetime | None = None
    earliest_text: str | None = None
    for entry in entries:
        expiry = parse_expiry(str(entry.get(EXPIRES_ON) or ""))
        if entry.get(STATUS) in USABLE_STATUSES and expiry is not None and expiry > now:
            usable += 1
        if expiry is not None and (earliest is None or expiry < earliest):
            earliest, earliest_text = expiry, str(entry.get(EXPIRES_ON))
    return {USABLE_COUNT: usable, EARLIEST_EXPIRY: earliest_text}


def zone_outputs(
    entries: Mapping[str, Any], now: dt.datetime | None = None
) -> dict[str, pulumi.Output[Any]]:
    """``entryIds`` (resource name -> entry id), ``usableCount`` and ``earliestExpiry`` of one
    zone's entries (``CustomOriginTrustStore`` resources, by resource name)."""
    names = list(entries)
    records = pulumi.Output.all(
        *(pulumi.Output.all(e.id, e.status, e.expires_on) for e in entries.values())
    )
    clock = now or dt.datetime.now(dt.UTC)
    summary = records.apply(
        lambda rows: zone_summary([{STATUS: r[1], EXPIRES_ON: r[2]} for r in rows], clock)
    )
    return {
        ENTRY_IDS: records.apply(
            lambda rows: {name: str(row[0]) for name, row in zip(names, rows, strict=True)}
        ),
        USABLE_COUNT: summary.apply(lambda s: int(s[USABLE_COUNT])),
        EARLIEST_EXPIRY: summary.apply(lambda s: s[EARLIEST_EXPIRY]),
    }


class ZoneTrustStore(pulumi.ComponentResource):
    """The entries of one zone (children), and the zone's ``entryIds``, ``usableCount`` and
    ``earliestExpiry``.

    Entries are declared by the caller with ``parent=`` this component (see
    ``provider.program.declare_trust_store``); :meth:`finish` then registers the outputs.
    """

    zone_id: str
    entry_ids: pulumi.Output[dict[str, str]]
    usable_count: pulumi.Output[int]
    earliest_expiry: pulumi.Output[str | None]

    def __init__(self, zone_id: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, component_name(zone_id), None, opts)
        self.zone_id = zone_id

    def finish(self, entries: Mapping[str, Any], now: dt.datetime | None = None) -> None:
        """Compute and register the zone outputs from ``entries`` (resource name -> entry)."""
        outputs = zone_outputs(entries, now)
        self.entry_ids = outputs[ENTRY_IDS]
        self.usable_count = outputs[USABLE_COUNT]
        self.earliest_expiry = outputs[EARLIEST_EXPIRY]
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The zone outputs under their state names (also the stack's ``zones`` export)."""
        return {
            ENTRY_IDS: self.entry_ids,
            USABLE_COUNT: self.usable_count,
            EARLIEST_EXPIRY: self.earliest_expiry,
        }
