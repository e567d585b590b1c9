"""One audit's outcome, as every output needs it: zones judged, errors, the instant, the config."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from policies import reporting
from policies.audit.findings import ZoneAudit
from policies.commands.check import PolicyConfig
from policies.reporting import Report, Result, Status
from policies.trust_rules.catalog import ALL_SPECS, AUDIT_SPECS, PolicySpec

#: The policies an audit reports on: SARIF's rules and JUnit's suites come from here.
AUDIT_REPORT_SPECS: tuple[PolicySpec, ...] = (*ALL_SPECS, *AUDIT_SPECS)


@dataclass(frozen=True, slots=True)
class AuditResult:
    zones: Sequence[ZoneAudit]
    now: dt.datetime
    config: PolicyConfig
    #: Why ``--all-zones`` could not list the zones, if it could not.
    listing_error: str | None = None
    #: (zone id, message) for each ``--origin`` that could not be probed.
    probe_errors: Sequence[tuple[str, str]] = ()

    @property
    def results(self) -> list[Result]:
        return [result for audited in self.zones for result in audited.results]

    @property
    def errors(self) -> list[tuple[str | None, str]]:
        """(zone id, message) for each zone not read; ``None`` for the zone listing."""
        found: list[tuple[str | None, str]] = []
        if self.listing_error is not None:
            found.append((None, self.listing_error))
        for audited in self.zones:
            if audited.snapshot.error is not None:
                found.append((audited.snapshot.zone_id, audited.snapshot.error))
        found.extend(self.probe_errors)
        return found

    @property
    def entry_count(self) -> int:
        return sum(len(audited.snapshot.entries) for audited in self.zones)

    def count(self, status: Status) -> int:
        return sum(result.status is status for result in self.results)

    def report(self) -> Report:
        """The neutral report ``policies.reporting`` renders (SARIF, JUnit, GitHub)."""
        return Report(
            self.results,
            self.now,
            AUDIT_REPORT_SPECS,
            self.config.levels,
            summary_extra={
                "zones": len(self.zones),
                "entries": self.entry_count,
                "errors": len(self.errors),
            },
            errors=self.error_lines(),
        )

    def error_lines(self) -> list[str]:
        """Each error as said on stderr and in SARIF: ``zone <id>: …`` or ``zone listing: …``."""
        return [
            f"zone {zone}: {message}" if zone else f"zone listing: {message}"
            for zone, message in self.errors
        ]

    @property
    def blocked(self) -> bool:
        return any(result.status is Status.FAILED for result in self.results)

    def count_line(self) -> str:
        unread = len(self.errors)
        read_note = f", {unread} API error(s)" if unread else ""
        return (
            f"{len(self.zones)} zone(s), {self.entry_count} entries: "
            f"{self.count(Status.FAILED)} mandatory finding(s), "
            f"{self.count(Status.WARNED)} advisory finding(s){read_note}"
        )


def problems_first(result: AuditResult) -> list[Result]:
    order = {Status.FAILED: 0, Status.WARNED: 1}
    problems = [r for r in result.results if r.status in reporting.PROBLEMS]
    return sorted(problems, key=lambda r: order[r.status])
