"""Post-quantum-only zones: no classical CA left beside ML-DSA ones. Pure: no clock, no I/O.

Cloudflare's guidance ("Post-quantum between Cloudflare and origin servers", section "Avoid
downgrades"; see docs/policies.md): upload only ML-DSA CAs, because Cloudflare still accepts an
origin certificate that chains to any classical CA left in the store, which keeps a downgrade
path open. A zone holding both kinds is mid-migration at best: its classical CAs must go once
every origin of the zone serves an ML-DSA chain, and not before (removing them earlier fails
every classical origin connection with HTTP 526).

``mixed_zone_problem`` judges one zone's CAs (for callers judging live zones, such as ``audit``);
``post_quantum_only`` judges a deployment's zones, refusing only what the deployment changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from .outcomes import FILE_KIND, Violation, ca_with_key, zone
from .zone_rules import KnownEntry, ZoneReport


def _named(entry: KnownEntry) -> str:
    return f"{ca_with_key(entry.facts)} ({entry.place.kind} '{entry.place.resource}')"


def _zone_name(members: Sequence[KnownEntry]) -> str:
    zone_id = members[0].zone_id
    if not zone_id and all(member.place.kind == FILE_KIND for member in members):
        return "This set of CAs"
    named = zone(zone_id)
    return named[:1].upper() + named[1:]


def mixed_zone_problem(members: Sequence[KnownEntry]) -> str | None:
    """Why one zone's CAs (all of the same zone) are not post-quantum only, or ``None``.

    ``None`` when the zone holds no ML-DSA CA (nothing to protect yet) or only ML-DSA CAs.
    """
    post_quantum = [m for m in members if m.facts.is_post_quantum]
    classical = [m for m in members if not m.facts.is_post_quantum]
    if not post_quantum or not classical:
        return None
    keep = "; ".join(_named(m) for m in post_quantum)
    remove = "; ".join(_named(m) for m in classical)
    return (
        f"{_zone_name(members)} holds post-quantum {keep} alongside {len(classical)} classical "
        "CA(s). Cloudflare still accepts an origin certificate that chains to a classical CA, so "
        "they keep a downgrade path open (Cloudflare's post-quantum guidance: upload only ML-DSA "
        "CAs). Once every origin of this zone serves an ML-DSA certificate chain, remove the "
        f"classical CA(s): {remove}. Until then keep them (removing them earlier fails the "
        "origins' connections, HTTP 526), or leave this zone out of the policy's zones."
    )


def in_scope(zone_id: str, zones: Collection[str]) -> bool:
    """Whether the policy applies to ``zone_id``: every zone when ``zones`` is empty."""
    return not zones or zone_id.lower() in {z.lower() for z in zones}


def post_quantum_only(entries: Sequence[KnownEntry], *, zones: Collection[str] = ()) -> ZoneReport:
    """Every zone in scope (``zones``; empty: all) that holds ML-DSA CAs holds nothing else.

    A zone is refused only when this deployment adds (or replaces) one of its classical CAs. A
    zone already mixed, whose classical CAs the deployment leaves as they are, is reported with
    a violation that is not ``refusable``: an advisory policy warns, a mandatory one notes it
    without refusing. Adding a zone's first ML-DSA CA is the first step of a migration, and
    removing its classical CAs is the fix; both must go through. Entries not known until apply
    can only add CAs, so they never turn a verdict on known ones around.
    """
    by_zone: dict[str, list[KnownEntry]] = defaultdict(list)
    for entry in entries:
        by_zone[entry.zone_id].append(entry)
    violations: list[Violation] = []
    for zone_id, members in sorted(by_zone.items()):
        if not in_scope(zone_id, zones):
            continue
        problem = mixed_zone_problem(members)
        if problem is None:
            continue
        new_classical = [m for m in members if not m.facts.is_post_quantum and not m.deployed]
        if new_classical:
            violations.append(Violation(problem, new_classical[0].place.urn))
            continue
        violations.append(
            Violation(
                f"{problem} ALREADY DEPLOYED: this deployment adds no classical CA to this zone, "
                "so it is not refused for it.",
                members[0].place.urn,
                refusable=False,
            )
        )
    return ZoneReport(tuple(violations))
