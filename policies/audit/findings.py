"""Judge a snapshot: the pack's rules on live entries, their status, coverage, and drift.

Every check is a ``ZoneCheck``: a function of one zone's view and the audit's context that
returns ``reporting.Result`` values, so the formats of ``reporting`` render them like ``check``'s.
Adding a zone-level check (origin probing, a post-quantum policy) is one function appended to
``ZONE_CHECKS`` and, for a new policy, its spec in the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from policies import reporting
from policies.audit.origins import LiveOrigin, judge, origin_target, zone_cas
from policies.audit.snapshot import LiveEntry, Managed, ZoneSnapshot
from policies.commands.check import PolicyConfig
from policies.reporting import Result, Target
from policies.trust_rules import zone_rules
from policies.trust_rules.catalog import (
    ENTRY_STATUS,
    MISSING_ENTRY,
    ORIGIN_COVERAGE,
    RESOURCE_POLICIES,
    STACK_POLICIES,
    UNMANAGED_ENTRY,
    ZONE_COVERAGE,
    Level,
)
from policies.trust_rules.outcomes import Evaluation, ca, date, zone
from policies.trust_rules.resource_type import EntryStatus

STUCK_STATUSES = frozenset({EntryStatus.INITIALIZING, EntryStatus.PENDING_DEPLOYMENT})
_MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class AuditContext:
    config: PolicyConfig
    now: dt.datetime
    #: (zone id, entry id) → managing resource; ``None`` without ``--stack-state``.
    state: Mapping[tuple[str, str], Managed] | None = None
    #: ``--origin``: the origins probed, with their presented chains.
    origins: Sequence[LiveOrigin] = ()


@dataclass(frozen=True, slots=True)
class Coverage:
    """A zone's CAs now and after ``min_days_remaining`` (origin-ca-zone-coverage's setting)."""

    usable_now: int
    usable_after: int
    min_days_remaining: int
    earliest_expiry: dt.datetime | None
    #: Whether the earliest-expiring CA has a successor (``None`` for a zone without CAs).
    successor_exists: bool | None


@dataclass(frozen=True, slots=True)
class ZoneAudit:
    snapshot: ZoneSnapshot
    coverage: Coverage | None
    results: tuple[Result, ...]

    @property
    def problems(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status in reporting.PROBLEMS)


ZoneCheck = Callable[[ZoneSnapshot, AuditContext], list[Result]]


def entry_target(entry: LiveEntry) -> Target:
    return Target(
        label=f"entry {entry.id} in {zone(entry.zone_id)}",
        kind="entry",
        zone_id=entry.zone_id,
        entry_id=entry.id,
        facts=entry.rules_entry.facts,
    )


def zone_target(snapshot: ZoneSnapshot) -> Target:
    label = zone(snapshot.zone_id) + (f" ({snapshot.name})" if snapshot.name else "")
    return Target(label=label, kind="zone", zone_id=snapshot.zone_id)


def _level(context: AuditContext, policy: str) -> Level:
    return context.config.levels[policy]


def _whole_setting(context: AuditContext, policy: str, key: str) -> int:
    """An integer setting (validated as one by the catalogue when the config was read)."""
    value = context.config.settings[policy][key]
    if isinstance(value, tuple):
        raise TypeError(f"{policy}.{key} is a list setting, not a number")
    return int(value)


def _verdict(
    policy: str, context: AuditContext, target: Target, message: str | None
) -> list[Result]:
    level = _level(context, policy)
    if level is Level.DISABLED:
        return []
    status = reporting.status_for(level, violated=message is not None)
    return [Result(policy, level, target, status, message or "")]


def _from_evaluation(
    policy: str,
    level: Level,
    target: Target,
    evaluation: Evaluation,
    by_id: Mapping[str, LiveEntry],
) -> list[Result]:
    def locate(urn: str) -> Target | None:
        named = by_id.get(urn)
        return None if named is None else entry_target(named)

    return reporting.evaluation_results(policy, level, target, evaluation, locate)


# --- the checks --------------------------------------------------------------------------------


def certificate_rules(snapshot: ZoneSnapshot, context: AuditContext) -> list[Result]:
    """The pack's per-certificate rules on each entry Cloudflare still serves, as if it were
    deployed now (no deployment protects it here: an expired CA is a mandatory finding)."""
    results: list[Result] = []
    for entry in snapshot.entries:
        if not entry.counted:
            continue
        for policy in RESOURCE_POLICIES:
            level = _level(context, policy.spec.name)
            if level is Level.DISABLED:
                continue
            settings = context.config.settings[policy.spec.name]
            evaluation = policy.evaluate(entry.rules_entry, context.now, settings)
            target = entry_target(entry)
            results += _from_evaluation(
                policy.spec.name, level, target, evaluation, {entry.id: entry}
            )
    return results


def _status_problem(entry: LiveEntry, context: AuditContext) -> str | None:
    status = entry.api.status
    where = f"Entry {entry.id} in {zone(entry.zone_id)}"
    facts = entry.rules_entry.facts
    what = f" ({ca(facts)})" if facts is not None else ""
    if status == EntryStatus.EXPIRED:
        return (
            f"{where}{what} has Cloudflare status expired (notAfter {date(entry.not_after)}): "
            "it authenticates no origin. Upload a valid successor root CA to the zone, then "
            "delete this entry."
        )
    if status not in STUCK_STATUSES:
        return None
    stuck_after = _whole_setting(context, ENTRY_STATUS.name, "stuckAfterMinutes")
    waited = context.now - entry.api.uploaded_on
    if waited <= stuck_after * _MINUTE:
        return None
    redo = (
        f"replace it through its stack (`pulumi up --replace '{entry.managed_by.urn}'` on "
        f"{entry.managed_by.stack})"
        if entry.managed_by is not None
        else "delete it and upload the CA again"
    )
    return (
        f"{where}{what} is still {status} {int(waited / _MINUTE)} minutes after it was uploaded "
        f"({entry.api.uploaded_on.isoformat()}), longer than stuckAfterMinutes ({stuck_after}). "
        f"It is not serving yet: {redo}, and contact Cloudflare support if it sticks again."
    )


def entry_status(snapshot: ZoneSnapshot, context: AuditContext) -> list[Result]:
    """Cloudflare's own status: ``expired``, or stuck before ``active``."""
    results: list[Result] = []
    for entry in snapshot.entries:
        if entry.leaving:
            continue
        problem = _status_problem(entry, context)
        results += _verdict(ENTRY_STATUS.name, context, entry_target(entry), problem)
    return results


def zone_policies(snapshot: ZoneSnapshot, context: AuditContext) -> list[Result]:
    """The pack's zone rules (coverage, rotation, duplicates) on the entries served now."""
    counted = [entry for entry in snapshot.entries if entry.counted]
    if not counted:
        return []
    by_id = {entry.id: entry for entry in counted}
    members = [entry.rules_entry for entry in counted]
    target = zone_target(snapshot)
    results: list[Result] = []
    for policy in STACK_POLICIES:
        level = _level(context, policy.spec.name)
        if level is Level.DISABLED:
            continue
        settings = context.config.settings[policy.spec.name]
        evaluation = policy.evaluate(members, (), context.now, settings)
        results += _from_evaluation(policy.spec.name, level, target, evaluation, by_id)
    return results


def drift(snapshot: ZoneSnapshot, context: AuditContext) -> list[Result]:
    """Against ``--stack-state``: entries no stack manages, and managed ones the zone lost."""
    if context.state is None:
        return []
    results: list[Result] = []
    present = {entry.id for entry in snapshot.entries if not entry.leaving}
    for entry in snapshot.entries:
        if entry.leaving:
            continue
        problem = None
        if entry.managed_by is None:
            facts = entry.rules_entry.facts
            what = f" ({ca(facts)})" if facts is not None else ""
            problem = (
                f"Entry {entry.id} in {zone(entry.zone_id)}{what} is managed by none of the "
                "given stacks (--stack-state). Declare its CA in a stack (adoptExisting takes "
                "over the live entry without a second upload), or, once no origin chains to "
                "it, delete it."
            )
        results += _verdict(UNMANAGED_ENTRY.name, context, entry_target(entry), problem)
    for (zone_id, entry_id), managed in sorted(context.state.items()):
        if zone_id != snapshot.zone_id:
            continue
        problem = None
        if entry_id not in present:
            problem = (
                f"Stack {managed.stack} ({managed.file}) holds resource '{managed.resource}' "
                f"as entry {entry_id} in {zone(zone_id)}, which the zone no longer has. Run "
                f"`pulumi refresh` on stack {managed.stack}, then `pulumi up` to upload the CA "
                "again."
            )
        target = Target(
            label=f"resource '{managed.resource}' ({managed.stack})",
            kind="entry",
            zone_id=zone_id,
            entry_id=entry_id,
        )
        results += _verdict(MISSING_ENTRY.name, context, target, problem)
    return results


def live_origins(snapshot: ZoneSnapshot, context: AuditContext) -> list[Result]:
    """``--origin``: each probed origin of the zone against the CAs it serves now."""
    probed = [o for o in context.origins if o.zone_id == snapshot.zone_id and o.error is None]
    if not probed:
        return []
    results: list[Result] = []
    min_days = _whole_setting(context, ORIGIN_COVERAGE.name, "minDaysRemaining")
    cas = zone_cas(snapshot)
    for live in probed:
        problem = judge(live, cas, now=context.now, min_days_remaining=min_days)
        results += _verdict(ORIGIN_COVERAGE.name, context, origin_target(live), problem)
    return results


#: The checks run on every zone that could be read, in this order.
ZONE_CHECKS: tuple[ZoneCheck, ...] = (
    certificate_rules,
    entry_status,
    zone_policies,
    drift,
    live_origins,
)


def coverage(snapshot: ZoneSnapshot, context: AuditContext) -> Coverage:
    counted = [entry for entry in snapshot.entries if entry.counted]
    pairs = [
        (entry, zone_rules.KnownEntry(entry.rules_entry.place, entry.rules_entry.facts))
        for entry in counted
        if entry.rules_entry.facts is not None
    ]
    known = [k for _, k in pairs]
    active = [k for entry, k in pairs if entry.api.status == EntryStatus.ACTIVE]
    min_days = _whole_setting(context, ZONE_COVERAGE.name, "minDaysRemaining")
    skew = _whole_setting(context, ZONE_COVERAGE.name, "clockSkewSeconds")
    earliest = min(known, key=lambda k: k.facts.not_after, default=None)
    return Coverage(
        usable_now=len(zone_rules.valid_cas(active, context.now, 0, skew)),
        usable_after=len(zone_rules.valid_cas(known, context.now, min_days, skew)),
        min_days_remaining=min_days,
        earliest_expiry=None if earliest is None else earliest.facts.not_after,
        successor_exists=(
            None
            if earliest is None
            else zone_rules.has_successor(earliest, known, context.now, skew)
        ),
    )


def _with_managers(snapshot: ZoneSnapshot, context: AuditContext) -> ZoneSnapshot:
    if context.state is None:
        return snapshot
    entries = tuple(
        replace(entry, managed_by=context.state.get((entry.zone_id, entry.id)))
        for entry in snapshot.entries
    )
    return replace(snapshot, entries=entries)


def audit_zone(
    snapshot: ZoneSnapshot, context: AuditContext, checks: Sequence[ZoneCheck] = ZONE_CHECKS
) -> ZoneAudit:
    """Every check on one zone; a zone that could not be read gets no verdict, only its error."""
    if not snapshot.read or not snapshot.acm_enabled:
        return ZoneAudit(snapshot, None, ())
    snapshot = _with_managers(snapshot, context)
    results = [result for check in checks for result in check(snapshot, context)]
    return ZoneAudit(snapshot, coverage(snapshot, context), tuple(results))
