"""Checks across a whole trust store: what each zone keeps after the deployment.

Entries whose certificate or zone is not known yet (preview) are passed in as ``pending``. They can
only add CAs to a zone, so a zone that would fail without them is left undecided rather than
reported: a false mandatory failure during preview would block a correct rotation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .certificates import CertificateFacts
from .outcomes import FILE_KIND, LIVE_KIND, Place, Violation, ca, date, days, zone, zone_of

#: Allowance for clocks that run behind when deciding whether a CA is already valid.
DEFAULT_CLOCK_SKEW_SECONDS = 300
DEFAULT_CLOCK_SKEW = dt.timedelta(seconds=DEFAULT_CLOCK_SKEW_SECONDS)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """A deployed (or to-be-deployed) entry whose certificate and zone are known."""

    place: Place
    facts: CertificateFacts
    #: Already in the zone and not changed by this deployment.
    deployed: bool = False

    @property
    def zone_id(self) -> str:
        return self.place.zone_id or ""


@dataclass(frozen=True, slots=True)
class ZoneReport:
    violations: tuple[Violation, ...]
    undecided_zones: tuple[str, ...] = ()
    #: Zones short of valid CAs that this deployment does not change: reported, not refused.
    untouched_shortfalls: tuple[str, ...] = ()


def _by_zone(entries: Sequence[KnownEntry]) -> dict[str, list[KnownEntry]]:
    zones: dict[str, list[KnownEntry]] = defaultdict(list)
    for entry in entries:
        zones[entry.zone_id].append(entry)
    return zones


def _undecidable(zone_id: str, pending: Sequence[Place]) -> bool:
    return any(place.zone_id is None or place.zone_id == zone_id for place in pending)


def _valid_for(facts: CertificateFacts, now: dt.datetime, needed: dt.timedelta) -> bool:
    return facts.not_before <= now + DEFAULT_CLOCK_SKEW and facts.not_after - now >= needed


def valid_cas(
    entries: Sequence[KnownEntry], now: dt.datetime, min_days_remaining: int = 0
) -> set[str]:
    """Fingerprints of the distinct CAs among ``entries`` already valid and valid for
    ``min_days_remaining`` more days: what ``zone_coverage`` counts (audit reports it)."""
    needed = min_days_remaining * _ONE_DAY
    return {e.facts.sha256_fingerprint for e in entries if _valid_for(e.facts, now, needed)}


def has_successor(entry: KnownEntry, members: Sequence[KnownEntry], now: dt.datetime) -> bool:
    """Another CA of the zone, already valid, that expires later: what ``rotation_ready``
    asks of a CA inside its warning window (audit reports it for the earliest-expiring CA)."""
    facts = entry.facts
    return any(
        other.facts.sha256_fingerprint != facts.sha256_fingerprint
        and other.facts.not_after > facts.not_after
        and other.facts.not_before <= now + DEFAULT_CLOCK_SKEW
        for other in members
    )


def _listing(entries: Sequence[KnownEntry], now: dt.datetime) -> str:
    parts = []
    for entry in sorted(entries, key=lambda e: e.facts.not_after):
        remaining = entry.facts.not_after - now
        when = (
            f"expired {date(entry.facts.not_after)}"
            if remaining < dt.timedelta(0)
            else f"expires {date(entry.facts.not_after)}, {days(remaining)} from now"
        )
        parts.append(f"{ca(entry.facts)} ({entry.place.kind} '{entry.place.resource}') {when}")
    return "; ".join(parts)


def _checked_files(members: Sequence[KnownEntry]) -> bool:
    """Files checked by the CLI: no deployment is involved, only a set of CAs."""
    return all(member.place.kind == FILE_KIND for member in members)


def _scope(members: Sequence[KnownEntry]) -> str:
    """``After this deployment zone 023e…c353``, ``This set of CAs for zone 023e…c353``, or
    ``Live zone 023e…c353`` (audit)."""
    place = members[0].place
    if all(member.place.kind == LIVE_KIND for member in members):
        return f"Live {zone(place.zone_id)}"
    if not _checked_files(members):
        return f"After this deployment {zone(place.zone_id)}"
    if place.zone_id:
        return f"This set of CAs for {zone(place.zone_id)}"
    return "This set of CAs"


def _coverage_advice(members: Sequence[KnownEntry]) -> str:
    if _checked_files(members):
        return (
            "Add a successor root CA file to this set (and deploy it) before the last one runs "
            "out, or lower minDaysRemaining."
        )
    return (
        "Upload a successor root CA to this zone before the last one runs out, or lower "
        "minDaysRemaining."
    )


def _rotation_advice(members: Sequence[KnownEntry]) -> str:
    if _checked_files(members):
        return (
            "Add its successor root CA file to this set (and deploy it) now, so origins can "
            "switch before it expires."
        )
    return "Upload its successor root CA to this zone now, so origins can switch before it expires."


def zone_coverage(
    entries: Sequence[KnownEntry],
    *,
    now: dt.datetime,
    min_valid_cas: int,
    min_days_remaining: int,
    pending: Sequence[Place] = (),
) -> ZoneReport:
    """Every zone with entries keeps ``min_valid_cas`` distinct CAs valid long enough."""
    violations, undecided, untouched = [], [], []
    for zone_id, members in sorted(_by_zone(entries).items()):
        good = valid_cas(members, now, min_days_remaining)
        if len(good) >= min_valid_cas:
            continue
        if _undecidable(zone_id, pending):
            undecided.append(zone_id)
            continue
        if all(e.deployed for e in members):
            # Already short before this deployment, which does not change it: its fix, and
            # changes elsewhere, must go through.
            untouched.append(
                f"{zone(zone_id)} already keeps only {len(good)} CA(s) valid for"
                f" {min_days_remaining} days ({_listing(members, now)}); this deployment does"
                " not change it, so it is not refused: upload a successor root CA to it now"
            )
            continue
        violations.append(
            Violation(
                f"{_scope(members)} keeps {len(good)} CA(s) valid for at least "
                f"{min_days_remaining} days (minDaysRemaining); policy requires {min_valid_cas} "
                f"(minValidCAs). Its CAs: {_listing(members, now)}. {_coverage_advice(members)}"
            )
        )
    return ZoneReport(tuple(violations), tuple(undecided), tuple(untouched))


def rotation_ready(
    entries: Sequence[KnownEntry],
    *,
    now: dt.datetime,
    warn_days_remaining: int,
    pending: Sequence[Place] = (),
) -> ZoneReport:
    """Every CA inside its warning window has a successor in the zone that outlives it.

    A successor is a different certificate that is already valid and expires later.
    """
    window = warn_days_remaining * _ONE_DAY
    violations, undecided = [], []
    for zone_id, members in sorted(_by_zone(entries).items()):
        for entry in members:
            facts = entry.facts
            if facts.not_after - now >= window:
                continue
            if has_successor(entry, members, now):
                continue
            if _undecidable(zone_id, pending):
                undecided.append(zone_id)
                continue
            violations.append(
                Violation(
                    f"{ca(facts)} ({entry.place.kind} '{entry.place.resource}') in "
                    f"{zone_of(entry.place)} "
                    f"expires {date(facts.not_after)}, {days(facts.not_after - now)} from now, "
                    f"inside the {warn_days_remaining}-day warning window (warnDaysRemaining), "
                    f"and no other CA there is valid beyond it. {_rotation_advice(members)}",
                    entry.place.urn,
                )
            )
    return ZoneReport(tuple(violations), tuple(sorted(set(undecided))))


def no_duplicates(entries: Sequence[KnownEntry]) -> ZoneReport:
    """The same certificate (by SHA-256 fingerprint) at most once per zone."""
    first_seen: dict[tuple[str, str], KnownEntry] = {}
    violations = []
    for entry in entries:
        key = (entry.zone_id, entry.facts.sha256_fingerprint)
        original = first_seen.setdefault(key, entry)
        if original is entry:
            continue
        violations.append(
            Violation(
                f"{ca(entry.facts)} is declared twice in {zone_of(entry.place)}: "
                f"{original.place.kind} '{original.place.resource}' and "
                f"{entry.place.kind} '{entry.place.resource}'. "
                "Keep one of them and remove the other.",
                entry.place.urn,
            )
        )
    return ZoneReport(tuple(violations))
