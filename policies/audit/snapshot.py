"""What one audit saw: each zone's live entries (or why the zone could not be read)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policies.trust_rules.catalog import entry_for
from policies.trust_rules.outcomes import LIVE_KIND, Entry, Place
from provider.entries import LEAVING_STATUSES, EntryStatus, TrustStoreEntry


@dataclass(frozen=True, slots=True)
class Managed:
    """The stack resource that manages a live entry, from a ``pulumi stack export`` file."""

    stack: str  # "project/stack", from the resource's URN
    resource: str  # the resource's name
    urn: str
    zone_id: str
    entry_id: str
    file: str  # the state file, as the user named it


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """One entry as Cloudflare listed it, with its certificate parsed for the rules."""

    zone_id: str
    api: TrustStoreEntry
    rules_entry: Entry
    managed_by: Managed | None = None

    @classmethod
    def of(cls, zone_id: str, api: TrustStoreEntry) -> LiveEntry:
        place = Place(api.id, zone_id, urn=api.id, kind=LIVE_KIND)
        return cls(zone_id, api, entry_for(api.certificate, place))

    @property
    def id(self) -> str:
        return self.api.id

    @property
    def leaving(self) -> bool:
        return self.api.status in LEAVING_STATUSES

    @property
    def counted(self) -> bool:
        """Judged by the rules and counted for coverage: not on its way out nor expired in
        Cloudflare's eyes (``origin-ca-entry-status`` reports those)."""
        return not self.leaving and self.api.status != EntryStatus.EXPIRED

    @property
    def not_after(self) -> dt.datetime:
        facts = self.rules_entry.facts
        return facts.not_after if facts is not None else self.api.expires_on


@dataclass(frozen=True, slots=True)
class ZoneSnapshot:
    """A zone's store as read, or ``error`` (already fit to print) when it could not be."""

    zone_id: str
    name: str | None = None
    entries: tuple[LiveEntry, ...] = ()
    error: str | None = None
    #: False for a listed zone without Advanced Certificate Manager: it has no trust store.
    acm_enabled: bool = True

    @property
    def read(self) -> bool:
        return self.error is None
