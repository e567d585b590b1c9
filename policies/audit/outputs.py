"""The audit's own outputs: the table (problems, a line per zone, a count) and ``--json``.

SARIF, JUnit and GitHub annotations come from ``policies.reporting`` as for ``check``; the
JSON differs from ``check``'s because an audit describes zones and their entries, not files.
Its shape is versioned by ``SCHEMA_VERSION``: a key is never renamed or removed without a bump.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TextIO

from policies import reporting
from policies.audit.findings import Coverage, ZoneAudit
from policies.audit.result import AuditResult, problems_first
from policies.audit.snapshot import LiveEntry
from policies.reporting import Result, Status
from policies.trust_rules.outcomes import whole_days

SCHEMA_VERSION = 1
_LABELS = {Status.FAILED: "FAIL", Status.WARNED: "WARN"}


def _time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def entry_fields(entry: LiveEntry, now: dt.datetime) -> dict[str, object]:
    facts = entry.rules_entry.facts
    managed = entry.managed_by
    return {
        "id": entry.id,
        "status": str(entry.api.status),
        "subject": facts.subject if facts else None,
        "fingerprintSha256": facts.sha256_fingerprint if facts else None,
        "notBefore": _time(facts.not_before) if facts else None,
        "notAfter": _time(entry.not_after),
        "daysRemaining": whole_days(entry.not_after - now),
        "uploadedOn": _time(entry.api.uploaded_on),
        "managedBy": None
        if managed is None
        else {
            "stack": managed.stack,
            "resource": managed.resource,
            "urn": managed.urn,
            "stateFile": managed.file,
        },
    }


def coverage_fields(coverage: Coverage | None) -> dict[str, object] | None:
    if coverage is None:
        return None
    return {
        "usableCAs": coverage.usable_now,
        "usableCAsAfterMinDays": coverage.usable_after,
        "minDaysRemaining": coverage.min_days_remaining,
        "earliestExpiry": _time(coverage.earliest_expiry),
        "successorExists": coverage.successor_exists,
    }


def finding_fields(result: Result) -> dict[str, object]:
    return {
        "policy": result.policy,
        "level": result.level.value,
        "zoneId": result.target.zone_id,
        "entryId": result.target.entry_id,
        "message": result.message,
    }


def document(result: AuditResult) -> dict[str, object]:
    zones = [
        {
            "id": audited.snapshot.zone_id,
            "name": audited.snapshot.name,
            "error": audited.snapshot.error,
            "acmEnabled": audited.snapshot.acm_enabled,
            "coverage": coverage_fields(audited.coverage),
            "entries": [entry_fields(e, result.now) for e in audited.snapshot.entries],
        }
        for audited in result.zones
    ]
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": reporting.TOOL_NAME,
        "now": _time(result.now),
        "zones": zones,
        "findings": [finding_fields(r) for r in problems_first(result)],
        "errors": [{"zoneId": zone_id, "message": message} for zone_id, message in result.errors],
        "summary": {
            "zones": len(result.zones),
            "entries": result.entry_count,
            "mandatoryFindings": result.count(Status.FAILED),
            "advisoryFindings": result.count(Status.WARNED),
            "errors": len(result.errors),
        },
    }


def render_json(result: AuditResult, out: TextIO) -> None:
    json.dump(document(result), out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- table -------------------------------------------------------------------------------------


def _zone_state(audited: ZoneAudit) -> tuple[int, str]:
    """Sort rank and label: unreadable and failing zones first."""
    if audited.snapshot.error is not None:
        return 0, "ERROR"
    if not audited.snapshot.acm_enabled:
        return 4, "no ACM"
    statuses = {r.status for r in audited.results}
    if Status.FAILED in statuses:
        return 1, "FAIL"
    if Status.WARNED in statuses:
        return 2, "WARN"
    return 3, "ok"


def _zone_line(audited: ZoneAudit, now: dt.datetime) -> list[str]:
    _, state = _zone_state(audited)
    name = audited.snapshot.name or ""
    cov = audited.coverage
    if cov is None:
        return [state, audited.snapshot.zone_id, name, "-", "-", "-", "-", "-"]
    if cov.earliest_expiry is None:
        earliest = "-"
    else:
        earliest = (
            f"{cov.earliest_expiry.date().isoformat()} ({whole_days(cov.earliest_expiry - now)}d)"
        )
    successor = {None: "-", True: "yes", False: "no"}[cov.successor_exists]
    return [
        state,
        audited.snapshot.zone_id,
        name,
        str(len(audited.snapshot.entries)),
        str(cov.usable_now),
        str(cov.usable_after),
        earliest,
        successor,
    ]


def render_table(result: AuditResult, out: TextIO, *, verbose: bool = False) -> None:
    """Problems first (each with its message), then one line per zone, then the counts."""
    problems = problems_first(result)
    if verbose:
        problems += [r for r in result.results if r.status not in reporting.PROBLEMS]
    if problems:
        width = max(len(r.policy) for r in problems)
        out.write(f"{'RESULT':<6}  {'LEVEL':<9}  {'POLICY':<{width}}  TARGET\n")
        for r in problems:
            label = _LABELS.get(r.status, "ok" if r.status is Status.PASSED else "n/a")
            out.write(f"{label:<6}  {r.level.value:<9}  {r.policy:<{width}}  {r.target.label}\n")
            if r.message and r.status is not Status.PASSED:
                out.write(f"{'':<6}  {r.message}\n")
        out.write("\n")
    for zone_id, message in result.errors:
        out.write(f"ERROR   {zone_id or 'zone listing'}: {message}\n")
    if result.errors:
        out.write("\n")
    if result.zones:
        min_days = next(
            (a.coverage.min_days_remaining for a in result.zones if a.coverage is not None), None
        )
        after = f"IN {min_days}D" if min_days is not None else "LATER"
        header = [
            "STATE",
            "ZONE",
            "NAME",
            "ENTRIES",
            "USABLE",
            after,
            "EARLIEST EXPIRY",
            "SUCCESSOR",
        ]
        ordered = sorted(result.zones, key=lambda a: _zone_state(a)[0])
        rows = [header, *(_zone_line(a, result.now) for a in ordered)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            out.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            out.write("\n")
        out.write("\n")
    out.write(result.count_line() + "\n")
