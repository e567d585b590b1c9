"""``audit --origin ZONE=HOST[:PORT][@SNI]``: live origins judged against their zone's live store.

The chain each origin presents right now is probed (``policies.origin_probe``) and verified with
the same rule the pack's ``origin-ca-covers-origins`` applies to declared chains
(``trust_rules.origins.check_coverage``), against the CAs the zone serves now, now and
``minDaysRemaining`` days ahead. This catches what a stack policy cannot see: an anchoring CA
deleted by hand or by another stack, an origin reissued from a CA the zone does not hold.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from policies.audit.snapshot import ZoneSnapshot
from policies.commands.check import UsageError
from policies.origin_probe import (
    DEFAULT_TIMEOUT_SECONDS,
    Origin,
    ProbeError,
    fetch_chain,
    parse_origin,
)
from policies.reporting import Target
from policies.trust_rules.origins import (
    CoverageStatus,
    ca_certificate,
    check_coverage,
    expected_anchor,
    name_of,
)
from policies.trust_rules.outcomes import zone
from policies.trust_rules.printable import printable
from policies.trust_rules.public_roots import public_roots
from provider.entries import validate_id
from provider.errors import InvalidInputError

#: Origins probed at once; each probe is bounded by its timeout, so this bounds the wall time.
PROBE_CONCURRENCY = 8
FORM = "ZONE=HOST[:PORT][@SNI]"


@dataclass(frozen=True, slots=True)
class LiveOrigin:
    """One ``--origin`` and what probing it gave: its chain, or why there is none."""

    zone_id: str
    origin: Origin
    chain: tuple[x509.Certificate, ...] = ()
    error: str | None = None

    @property
    def label(self) -> str:
        sni = f" (SNI {printable(self.origin.sni)})" if self.origin.sni else ""
        return f"origin {self.origin}{sni} in {zone(self.zone_id)}"


def parse_live_origin(text: str) -> tuple[str, Origin]:
    """``ZONE=HOST[:PORT][@SNI]`` → (zone id, origin); ``UsageError`` says what is wrong."""
    zone_text, equals, rest = text.partition("=")
    if not equals or not rest:
        raise UsageError(f"--origin {printable(text)!r}: write it as {FORM}")
    try:
        zone_id = validate_id(zone_text.strip(), "--origin's zone")
    except InvalidInputError as exc:
        raise UsageError(f"--origin {printable(text)!r}: {exc}") from None
    where, at, sni = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if at and not sni:
        raise UsageError(f"--origin {printable(text)!r}: no SNI name after '@' ({FORM})")
    try:
        origin = parse_origin(where)
    except ValueError as exc:
        raise UsageError(f"--origin {printable(text)!r}: {exc} ({FORM})") from None
    return zone_id, Origin(origin.host, origin.port, sni or None)


def probe_origins(
    wanted: Sequence[tuple[str, Origin]], *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> tuple[LiveOrigin, ...]:
    """Probe every origin, a few at a time; a failed probe is kept with its message."""

    def probe(item: tuple[str, Origin]) -> LiveOrigin:
        zone_id, origin = item
        try:
            chain = fetch_chain(origin.host, origin.port, origin.sni, timeout)
        except ProbeError as exc:
            return LiveOrigin(zone_id, origin, error=str(exc))
        return LiveOrigin(zone_id, origin, tuple(chain))

    if not wanted:
        return ()
    workers = min(PROBE_CONCURRENCY, len(wanted))
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="probe") as pool:
        return tuple(pool.map(probe, wanted))


def _fix(live: LiveOrigin, cas: Sequence[x509.Certificate], reason: str) -> str:
    host = printable(live.origin.server_name)
    issuer = expected_anchor(live.chain)
    held = ", ".join(f"'{name_of(ca)}'" for ca in cas) or "none"
    return (
        f"upload '{issuer}', which issued {host}'s chain, to the zone, or reissue {host}'s "
        f"certificate from a CA the zone holds ({held}) and deploy it on the origin. Until "
        f"then Cloudflare cannot authenticate it ({reason})"
    )


def zone_cas(snapshot: ZoneSnapshot) -> list[x509.Certificate]:
    """The CAs the zone serves now (its counted entries), as certificates to verify against."""
    return [
        ca_certificate(entry.rules_entry.facts.normalized_pem)
        for entry in snapshot.entries
        if entry.counted and entry.rules_entry.facts is not None
    ]


def judge(
    live: LiveOrigin,
    cas: Sequence[x509.Certificate],
    *,
    now: dt.datetime,
    min_days_remaining: int,
) -> str | None:
    """The problem with one probed origin against its zone's live CAs (``zone_cas``), or
    ``None`` (covered)."""
    coverage = check_coverage(
        live.chain,
        live.origin.server_name,
        cas,
        now=now,
        min_days_remaining=min_days_remaining,
        public_roots=public_roots() if not cas else (),
    )
    if coverage.covered:
        return None
    reason = coverage.reason or str(coverage.status)
    if coverage.origin_side:
        return (
            f"{live.label}: its own certificate fails ({reason}), whatever CAs the zone holds. "
            f"Renew or reissue {printable(live.origin.server_name)}'s certificate."
        )
    if coverage.anchor is not None:
        return (
            f"{live.label} is anchored by '{coverage.anchor_name}', but {reason}. Rotate in the "
            "safe order: add the new CA to the zone, reissue the origin's certificate from it, "
            "then remove the old CA."
        )
    what = (
        "cannot be verified against"
        if coverage.status is CoverageStatus.CANNOT_VERIFY
        else "is not authenticated by"
    )
    public = " (the zone holds no CA, so Cloudflare uses public roots)" if not cas else ""
    return f"{live.label} {what} the zone's live CAs{public}: {_fix(live, cas, reason)}."


def origin_target(live: LiveOrigin) -> Target:
    return Target(label=live.label, kind="zone", zone_id=live.zone_id)


def probe_errors(origins: Sequence[LiveOrigin]) -> list[tuple[str, str]]:
    """(zone id, message) for each origin that could not be probed: the audit's errors, said
    like a zone that could not be read ("zone ID: origin HOST:PORT: why")."""
    found = []
    for live in origins:
        if live.error is not None:
            # The probe's message already names the origin; the zone goes with the error.
            found.append((live.zone_id, f"origin {live.error}"))
    return found
