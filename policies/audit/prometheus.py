"""``--prometheus FILE``: the audit as node-exporter textfile-collector metrics.

Modeled on x509-certificate-exporter (``x509_cert_not_after``, ``x509_cert_expired``,
``x509_cert_expires_in_seconds``, ``x509_read_errors``): one series per live entry labelled
``zone_id``, ``entry_id``, ``subject`` and ``fingerprint``, per-zone coverage, and the audit's
own timestamp and error count, so an alert can tell "expiring" from "the audit stopped". The
file is written next to its final name and renamed over it, so the collector never reads half.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policies.audit.result import AuditResult
from policies.audit.snapshot import LiveEntry
from policies.trust_rules.resource_type import EntryStatus

PREFIX = "cf_origin_trust_store"
#: Every status Cloudflare documents gets a series, so ``== 1`` alerts see a change of state.
STATUSES = tuple(status.value for status in EntryStatus)


def escape_label(value: str) -> str:
    """Label values as the exposition format wants them: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


class _Metrics:
    def __init__(self) -> None:
        self._families: dict[str, tuple[str, list[str]]] = {}

    def family(self, name: str, help_text: str) -> None:
        self._families[name] = (help_text, [])

    def add(self, name: str, labels: Mapping[str, str], value: float) -> None:
        self._families[name][1].append(f"{PREFIX}_{name}{_labels(labels)} {_number(value)}")

    def lines(self) -> Iterable[str]:
        for name, (help_text, samples) in self._families.items():
            yield f"# HELP {PREFIX}_{name} {help_text}"
            yield f"# TYPE {PREFIX}_{name} gauge"
            yield from samples


def _entry_labels(entry: LiveEntry) -> dict[str, str]:
    facts = entry.rules_entry.facts
    return {
        "zone_id": entry.zone_id,
        "entry_id": entry.id,
        "subject": facts.subject if facts else "",
        "fingerprint": facts.sha256_fingerprint if facts else "",
    }


def exposition(result: AuditResult) -> str:
    """The whole file's text."""
    m = _Metrics()
    m.family("entry_not_after", "Expiry (notAfter) of the entry's CA, as a Unix timestamp.")
    m.family("entry_not_before", "Start (notBefore) of the entry's CA, as a Unix timestamp.")
    m.family(
        "entry_expires_in_seconds",
        "Seconds until the entry's CA expires at the audit's time (negative once expired).",
    )
    m.family("entry_expired", "1 if the entry's CA had expired at the audit's time, else 0.")
    m.family("entry_status", "1 for the entry's status as Cloudflare reports it, 0 for others.")
    m.family("zone_entries", "Entries listed in the zone's Custom Origin Trust Store.")
    m.family("zone_usable_cas", "Distinct CAs of the zone that are active and valid now.")
    m.family(
        "zone_usable_cas_after_min_days",
        "Distinct CAs of the zone still valid after minDaysRemaining days.",
    )
    m.family("zone_earliest_expiry", "Earliest notAfter among the zone's CAs, Unix timestamp.")
    m.family("zone_findings", "Findings of the audit per zone, policy and level.")
    m.family("zone_read_error", "1 if the zone's store could not be read by this audit.")
    m.family("audit_timestamp_seconds", "When the audit ran (its --now), Unix timestamp.")
    m.family("audit_errors", "API errors of the audit: unreadable zones and zone listing.")
    m.family("audit_zones", "Zones the audit covered.")
    now = result.now
    for audited in result.zones:
        zone_id = audited.snapshot.zone_id
        m.add("zone_read_error", {"zone_id": zone_id}, int(audited.snapshot.error is not None))
        if audited.coverage is None:
            continue
        for entry in audited.snapshot.entries:
            labels = _entry_labels(entry)
            current = str(entry.api.status)
            for status in sorted({*STATUSES, current}):
                m.add("entry_status", {**labels, "status": status}, int(status == current))
            if entry.leaving:
                continue  # on its way out: its expiry must not page anyone
            facts = entry.rules_entry.facts
            m.add("entry_not_after", labels, entry.not_after.timestamp())
            if facts is not None:
                m.add("entry_not_before", labels, facts.not_before.timestamp())
            m.add("entry_expires_in_seconds", labels, (entry.not_after - now).total_seconds())
            m.add("entry_expired", labels, int(entry.not_after < now))
        coverage = audited.coverage
        m.add("zone_entries", {"zone_id": zone_id}, len(audited.snapshot.entries))
        m.add("zone_usable_cas", {"zone_id": zone_id}, coverage.usable_now)
        m.add("zone_usable_cas_after_min_days", {"zone_id": zone_id}, coverage.usable_after)
        if coverage.earliest_expiry is not None:
            m.add(
                "zone_earliest_expiry", {"zone_id": zone_id}, coverage.earliest_expiry.timestamp()
            )
        counts: dict[tuple[str, str], int] = {}
        for r in audited.problems:
            key = (r.policy, r.level.value)
            counts[key] = counts.get(key, 0) + 1
        for (policy, level), count in sorted(counts.items()):
            m.add("zone_findings", {"zone_id": zone_id, "policy": policy, "level": level}, count)
    m.add("audit_timestamp_seconds", {}, now.timestamp())
    m.add("audit_errors", {}, len(result.errors))
    m.add("audit_zones", {}, len(result.zones))
    return "\n".join(m.lines()) + "\n"
