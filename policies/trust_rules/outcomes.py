"""What a rule says about its input, and how it says it.

Where a certificate is declared (``Place``), what the rules judge (``Entry``), their verdicts
(``Violation``, ``Evaluation``), and the wording every message shares (``ca``, ``zone``,
``where``, ``days``...), so every message names things the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .certificates import CertificateFacts, shorten
from .errors import CertificateInputError
from .printable import printable

#: Characters kept at each end of a zone id in messages ("023e…c353").
SHORT_ZONE_CHARS = 4
UNKNOWN_ZONE = "(zone not known yet)"
#: Files checked without a deployment or a known zone form a set of CAs, not a zone.
FILE_KIND = "file"
CA_SET = "this set of CAs"
#: Entries read from a live trust store (``audit``): no deployment is involved either.
LIVE_KIND = "entry"
ZONE_ID_LENGTH = 32
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a certificate is declared: the resource (or file) and its zone."""

    resource: str
    zone_id: str | None = None
    urn: str | None = None
    kind: str = "resource"  # FILE_KIND when the CLI checks files


def ca(facts: CertificateFacts) -> str:
    """``CA 'Example Root' (SHA-256 3f2a…9c1b)``: recognisable without the full subject."""
    return f"CA '{facts.display_name}' (SHA-256 {facts.short_fingerprint})"


def ca_with_key(facts: CertificateFacts) -> str:
    """``CA 'Example Root' (SHA-256 3f2a…9c1b, ML-DSA-65)``: where the key type matters."""
    return f"CA '{facts.display_name}' (SHA-256 {facts.short_fingerprint}, {facts.key_description})"


def is_zone_id(text: str) -> bool:
    """Cloudflare's form of a zone id: 32 hex digits."""
    return len(text) == ZONE_ID_LENGTH and all(c in _HEX for c in text.lower())


def zone(zone_id: str | None) -> str:
    """Cloudflare's 32-hex zone ids are shortened like fingerprints; other names stay whole."""
    if not zone_id:
        return UNKNOWN_ZONE
    if is_zone_id(zone_id):
        return f"zone {shorten(zone_id, SHORT_ZONE_CHARS)}"
    return f"zone {printable(zone_id)}"


def zone_of(place: Place) -> str:
    """The zone of ``place``; files checked without a zone belong to "this set of CAs"."""
    if place.kind == FILE_KIND and not place.zone_id:
        return CA_SET
    return zone(place.zone_id)


def where(place: Place) -> str:
    """``resource 'ca-2026' in zone 023e…c353``; ``file 'a.pem'`` when no zone is given."""
    if place.kind == FILE_KIND and not place.zone_id:
        return f"{place.kind} '{printable(place.resource)}'"
    return f"{place.kind} '{printable(place.resource)}' in {zone(place.zone_id)}"


def date(moment: dt.datetime) -> str:
    return moment.date().isoformat()


def whole_days(delta: dt.timedelta) -> int:
    """Whole days, rounded to the nearest (the figure messages and JSON give): a CA valid for
    20 days that was issued a minute ago has 20 days left, not 19."""
    return round(delta / dt.timedelta(days=1))


def days(delta: dt.timedelta) -> str:
    """Whole days with the unit (``11 days``, ``1 day``), rounded as ``whole_days``."""
    count = whole_days(delta)
    return f"{count} day" if abs(count) == 1 else f"{count} days"


# -- verdicts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One trust-store entry as the rules see it: where it is declared and what it holds.

    Exactly one of ``facts`` (the certificate parsed) and ``problem`` (why it did not) is set.
    ``deployed``: the zone already holds this entry and the deployment does not change it, so
    a problem with it is reported without refusing the deployment (its fix must go through).
    """

    place: Place
    facts: CertificateFacts | None = None
    problem: CertificateInputError | None = None
    deployed: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    message: str
    urn: str | None = None
    #: False for a problem the deployment leaves exactly as it was: an advisory policy warns
    #: about it, a blocking one reports it without refusing (never block a zone's fix).
    refusable: bool = True


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict of one rule: no violations means it passed, unless it was not applicable."""

    violations: tuple[Violation, ...] = ()
    not_applicable: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.violations and self.not_applicable is None


PASSED = Evaluation()
