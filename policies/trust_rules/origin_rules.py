"""origin-ca-covers-origins: after the deployment, each declared origin's chain still verifies
to a CA its zone keeps (or, for a zone left with none, to a public root).

Refused only for what the deployment changes: an origin that the zone's unchanged entries
already fail to anchor, in a zone this deployment does not touch, is reported, not refused.
Stack policies see only the entries that remain after the deployment (new, replaced and kept),
never those it deletes; so "before" is what the kept entries anchor (public roots when none is
kept), and any new or replaced entry in the zone makes the zone changed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ..reading import FileRefused, decode_text, read_file_bytes
from .errors import PolicyConfigError
from .origins import (
    Coverage,
    CoverageStatus,
    ca_certificate,
    check_coverage,
    expected_anchor,
    parse_chain,
)
from .outcomes import CA_SET, FILE_KIND, Entry, Evaluation, Place, Violation, date, zone
from .printable import echo_input, printable
from .public_roots import public_roots
from .zone_rules import KnownEntry

ORIGIN_KEYS = ("zoneId", "hostname", "chain")
#: Where a relative ``chain`` path starts: the policy pack's folder (the one holding
#: PulumiPolicy.yaml, where the engine also starts the pack), whatever the working directory.
PACK_DIR = Path(__file__).resolve().parent.parent
#: Largest number of declared origins (each is verified per deployment).
MAX_ORIGINS = 1000
#: A chain file is a few certificates; anything larger is not one.
MAX_CHAIN_BYTES = 1 << 20
CHAIN_WHAT = "PEM certificate chain"
#: Longest chain file path accepted (Linux PATH_MAX).
MAX_PATH_CHARS = 4096

Origin = Mapping[str, str]
Settings = Mapping[str, object]


def read_origins(policy: str, raw: object) -> tuple[dict[str, str], ...]:
    """Validate the ``origins`` setting: a list of {zoneId, hostname, chain}, all strings."""
    if not isinstance(raw, list | tuple):
        raise PolicyConfigError(
            f"{policy}.origins must be a list of {{zoneId, hostname, chain}}, got {echo_input(raw)}"
        )
    if len(raw) > MAX_ORIGINS:
        raise PolicyConfigError(f"{policy}.origins lists {len(raw)} origins; at most {MAX_ORIGINS}")
    origins = []
    for index, item in enumerate(raw):
        where = f"{policy}.origins[{index}]"
        if not isinstance(item, Mapping):
            raise PolicyConfigError(
                f"{where} must be an object {{zoneId, hostname, chain}}, got {echo_input(item)}"
            )
        unknown = sorted(set(item) - set(ORIGIN_KEYS))
        if unknown:
            shown = ", ".join(echo_input(key) for key in unknown)
            raise PolicyConfigError(
                f"{where} has unknown key(s) {shown}; its keys are zoneId, hostname, chain"
            )
        for key in ORIGIN_KEYS:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise PolicyConfigError(
                    f"{where}.{key} must be a non-empty string, got {echo_input(value)}"
                )
            if len(value) > MAX_CHAIN_BYTES:
                raise PolicyConfigError(
                    f"{where}.{key} is longer than {MAX_CHAIN_BYTES} characters"
                )
        origins.append(
            {
                key: str(item[key]).strip() if key != "chain" else str(item[key])
                for key in ORIGIN_KEYS
            }
        )
    return tuple(origins)


_CHAIN_SUFFIXES = (".pem", ".crt", ".cer", ".chain", ".txt")


def _shown_path(source: str) -> str:
    """A chain file's path whole; anything else (a secret pasted in the wrong place?) only by
    its start, as every refused input is echoed (``echo_input``)."""
    if (
        len(source) <= MAX_PATH_CHARS
        and source.isprintable()
        and source.lower().endswith(_CHAIN_SUFFIXES)
    ):
        return repr(source)
    return echo_input(source)


def load_chain(source: str, base: Path) -> list[x509.Certificate]:
    """Inline PEM (it contains "-----BEGIN"), or a file path, relative ones from ``base``.

    Raises ``ValueError`` naming the file and what is wrong."""
    if "-----BEGIN" in source:
        return parse_chain(source)
    shown = _shown_path(source)
    if "\0" in source or len(source) > MAX_PATH_CHARS:
        raise ValueError(f"chain {shown} is neither PEM nor a file path")
    path = Path(source) if Path(source).is_absolute() else base / source
    if not path.exists():
        raise ValueError(f"chain file {shown} not found (relative paths start at {base})")
    try:
        # Regular files only, bounded: a FIFO or device named here must not hang the pack.
        text = decode_text(
            read_file_bytes(path, what=CHAIN_WHAT, limit=MAX_CHAIN_BYTES, shown=source),
            what=CHAIN_WHAT,
            shown=source,
        )
    except FileRefused as error:
        raise ValueError(f"chain: {error}") from None
    try:
        return parse_chain(text)
    except ValueError as error:
        raise ValueError(f"chain file {shown}: {error}") from None


@dataclass(frozen=True, slots=True)
class OriginReport:
    #: Refusals, and (``refusable=False``) problems the deployment leaves as they were: a
    #: mandatory policy notes those, an advisory one warns.
    violations: tuple[Violation, ...]
    #: Origins with no verdict yet (the zone's pending entries), and covered ones in ``check``.
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.refusable)

    @property
    def reported(self) -> tuple[str, ...]:
        """What is reported without refusing."""
        return tuple(v.message for v in self.violations if not v.refusable)


def _anchor_text(coverage: Coverage, *, before: bool = False) -> str:
    if coverage.covered and coverage.public_roots:
        return f"public root '{coverage.anchor_name}' (the zone kept no CA of its own)"
    if coverage.covered:
        return f"'{coverage.anchor_name}'"
    if before:
        # Entries the deployment deletes are invisible to stack policies: say what is known.
        return "none among the CAs this deployment keeps unchanged"
    if coverage.public_roots:
        return "none (the zone keeps no CA, and no public root anchors it)"
    return "none"


def _file_set_message(
    label: str,
    host: str,
    chain: Sequence[x509.Certificate],
    coverage: Coverage,
    cas: Sequence[x509.Certificate],
) -> str:
    """For ``check``: no deployment, only a set of CA files."""
    what = (
        "cannot be verified against"
        if coverage.status is CoverageStatus.CANNOT_VERIFY
        else "is not covered by"
    )
    names = ", ".join(f"'{printable(c.subject.rfc4514_string())}'" for c in cas)
    return (
        f"{label} {what} these CA files: {coverage.reason}. Fix: add '{expected_anchor(chain)}', "
        f"which issued {host}'s chain, to this set (and deploy it), or reissue {host}'s "
        f"certificate from a CA of this set ({names}) and deploy it on the origin first."
    )


def _fix(
    host: str,
    chain: Sequence[x509.Certificate],
    before: Coverage,
    after_cas: Sequence[x509.Certificate],
) -> str:
    issuer = expected_anchor(chain)
    if before.covered:  # by public roots: the zone kept no CA of its own until now
        return (
            "after this deployment the zone holds only uploaded CAs, and Cloudflare then trusts "
            f"nothing else: upload '{issuer}', which issued {host}'s chain, in the same "
            f"deployment, or first reissue {host}'s certificate from a CA you upload, deploy "
            "it on the origin, then upload that CA"
        )
    kept = ", ".join(f"'{printable(c.subject.rfc4514_string())}'" for c in after_cas)
    return (
        f"upload '{issuer}', which issued {host}'s chain, in this deployment (keep it, if this "
        f"deployment removes it), or first reissue {host}'s certificate from a CA the zone keeps "
        f"({kept or 'none'}) and deploy it on the origin. Safe rotation order: add the new CA, "
        "reissue the origin certificates, then remove the old CA"
    )


def origins_covered(
    entries: Sequence[KnownEntry],
    pending: Sequence[Place],
    origins: Sequence[Origin],
    *,
    now: dt.datetime,
    min_days_remaining: int,
    public_roots: Callable[[], Sequence[x509.Certificate]],
    base: Path,
) -> OriginReport:
    """Judge each declared origin against what its zone keeps after the deployment."""
    violations: list[Violation] = []
    notes: list[str] = []
    for origin in origins:
        zone_id, host = origin["zoneId"], printable(origin["hostname"])
        label = f"origin {host} in {zone(zone_id) if zone_id else CA_SET}"
        try:
            chain = load_chain(origin["chain"], base)
        except ValueError as error:
            violations.append(
                Violation(
                    f"{label}: its chain cannot be judged: {error}. Give the chain as inline "
                    "PEM or the path of a PEM file (`cf-origin-trust-store probe HOST --out FILE` "
                    "captures it)."
                )
            )
            continue
        members = [e for e in entries if e.zone_id == zone_id]
        judge = functools.partial(
            check_coverage,
            chain,
            origin["hostname"],
            now=now,
            min_days_remaining=min_days_remaining,
        )
        after_cas = [ca_certificate(e.facts.normalized_pem) for e in members]
        roots = public_roots() if not after_cas else ()
        after = judge(after_cas, public_roots=roots)
        if members and all(e.place.kind == FILE_KIND for e in members):
            if after.covered:
                notes.append(f"{label}: {coverage_summary(after)}")
            else:
                violations.append(
                    Violation(_file_set_message(label, host, chain, after, after_cas))
                )
            continue
        if after.covered:
            continue  # entries not known yet can only add CAs
        if after.origin_side:
            # Its own certificate fails whatever the zone keeps: not this deployment's doing.
            violations.append(
                Violation(
                    f"{label}: its own chain fails ({after.reason}), whatever CAs the zone "
                    f"keeps; not refused: renew or reissue {host}'s certificate",
                    refusable=False,
                )
            )
            continue
        if any(p.zone_id is None or p.zone_id == zone_id for p in pending):
            notes.append(f"no verdict for {label} until the zone's pending entries are known")
            continue
        kept_cas = [ca_certificate(e.facts.normalized_pem) for e in members if e.deployed]
        before = judge(kept_cas, public_roots=public_roots() if not kept_cas else ())
        changed = any(not e.deployed for e in members)
        if after.anchor is not None and not before.covered:
            # The anchor stays; only its path runs out too soon, as it did before: adding the
            # successor CA (step 1 of a rotation) must go through.
            violations.append(
                Violation(
                    f"{label}: {after.reason}; this deployment keeps '{after.anchor_name}', so "
                    f"it is not refused. Rotate in the safe order: add the new CA, reissue "
                    f"{host}'s certificate from it, then remove the old CA",
                    refusable=False,
                )
            )
            continue
        if not before.covered and not changed:
            violations.append(
                Violation(
                    f"{label} is already not covered by the zone's CAs ({after.reason}); this "
                    "deployment does not change the zone, so it is not refused. Fix it now: "
                    f"{_fix(host, chain, before, after_cas)}",
                    refusable=False,
                )
            )
            continue
        what = (
            "cannot be verified"
            if after.status is CoverageStatus.CANNOT_VERIFY
            else "would not be authenticated by Cloudflare (HTTP 526)"
        )
        violations.append(
            Violation(
                f"{label} {what} after this deployment: {after.reason}. Anchoring CA before: "
                f"{_anchor_text(before, before=True)}; after: {_anchor_text(after)}. Fix: "
                f"{_fix(host, chain, before, after_cas)}."
            )
        )
    return OriginReport(tuple(violations), tuple(notes))


def coverage_summary(coverage: Coverage) -> str:
    """One line for an origin that is covered: anchor and first break date."""
    if not coverage.covered or coverage.breaks_on is None:
        return coverage.reason or str(coverage.status)
    return (
        f"anchored by {_anchor_text(coverage)}; the path first breaks on {date(coverage.breaks_on)}"
    )


ORIGIN_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "zoneId": {"type": "string", "description": "zone the origin is served through"},
        "hostname": {"type": "string", "description": "name Cloudflare verifies the chain for"},
        "chain": {"type": "string", "description": "the chain it presents: PEM, or a file path"},
    },
    "required": list(ORIGIN_KEYS),
    "additionalProperties": False,
}


def evaluate_origins(
    entries: Sequence[Entry], pending: Sequence[Place], now: dt.datetime, settings: Settings
) -> Evaluation:
    """The catalogue's evaluator: settings ``origins`` and ``minDaysRemaining``."""
    origins = settings.get("origins", ())
    if not isinstance(origins, tuple) or not origins:
        return Evaluation(not_applicable="no origins declared (setting origins)")
    known = [
        KnownEntry(e.place, e.facts, deployed=e.deployed) for e in entries if e.facts is not None
    ]
    report = origins_covered(
        known,
        pending,
        origins,
        now=now,
        min_days_remaining=_whole(settings["minDaysRemaining"]),
        public_roots=public_roots,
        base=PACK_DIR,
    )
    return Evaluation(report.violations, notes=report.notes)


def _whole(value: object) -> int:
    return value if isinstance(value, int) else 0
