"""The policies by name: metadata, config settings with defaults, and how each one evaluates.

The Pulumi pack and the ``check`` CLI both read this catalogue, so a policy behaves the same in
``pulumi preview`` and in a pre-commit hook. Nothing here imports Pulumi.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import origin_rules, post_quantum, resource_rules, zone_rules
from .certificates import CertificateFacts, facts_from_text
from .errors import CertificateInputError, PolicyConfigError
from .outcomes import PASSED, Entry, Evaluation, Place, Violation
from .printable import echo_input, echo_name

#: The two resource types that are trust-store entries; every other type is ignored.
DYNAMIC_TYPE = "pulumi-python:dynamic/cloudflare:CustomOriginTrustStore"
OFFICIAL_TYPE = "cloudflare:index/customOriginTrustStore:CustomOriginTrustStore"
TRUST_STORE_TYPES = frozenset({DYNAMIC_TYPE, OFFICIAL_TYPE})

DEFAULT_MIN_DAYS_REMAINING = 30
DEFAULT_WARN_DAYS_REMAINING = 90
DEFAULT_MAX_LIFETIME_USED_PERCENT = 67
DEFAULT_CLOCK_SKEW_SECONDS = zone_rules.DEFAULT_CLOCK_SKEW_SECONDS
DEFAULT_MIN_RSA_BITS = 2048
DEFAULT_ALLOW_EDDSA = False
#: Cloudflare accepts ML-DSA-44/65/87 root CAs since 2026-06-17 (docs/policies.md).
DEFAULT_ALLOW_MLDSA = True
DEFAULT_MIN_VALID_CAS = 1

#: Config keys that are not settings: the level of one policy, and the key for every policy.
ENFORCEMENT_LEVEL_KEY = "enforcementLevel"
ALL_POLICIES_KEY = "all"

#: Tuples are list settings: of strings, or of objects (origin-ca-covers-origins' ``origins``,
#: see ``origin_rules.read_origins``).
SettingValue = int | float | bool | tuple[str, ...] | tuple[dict[str, str], ...]
#: Largest magnitude of a number setting that has no bound of its own.
LARGEST_SETTING = 1_000_000
#: Most items, and longest item, of a list-of-strings setting (zone ids are 32 characters).
MAX_LIST_ITEMS = 10_000
MAX_LIST_ITEM_LENGTH = 255
Settings = Mapping[str, SettingValue]
NOT_WELL_FORMED = "the certificate is not well-formed; origin-ca-well-formed reports why"


class Level(enum.StrEnum):
    """Enforcement levels, spelled as in Pulumi policy config files."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    REMEDIATE = "remediate"
    DISABLED = "disabled"


#: Levels that refuse a deployment (``remediate`` acts as ``mandatory``: nothing here remediates).
BLOCKING_LEVELS = frozenset({Level.MANDATORY, Level.REMEDIATE})


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def _plain(number: float) -> str:
    """1000000 rather than 1e+06; 0.5 as 0.5."""
    return str(int(number)) if number == int(number) else f"{number:g}"


@dataclass(frozen=True, slots=True)
class Setting:
    """One config property of a policy, as published in its JSON schema."""

    key: str
    kind: str  # JSON schema type: "integer", "number", "boolean" or "array" (of strings)
    default: SettingValue
    description: str
    minimum: float | None = None
    maximum: float | None = None
    #: For a list of objects: the items' JSON schema, and the reader that validates the list.
    items: Mapping[str, object] | None = None
    read_items: Callable[[str, object], SettingValue] | None = None

    def schema(self) -> dict[str, object]:
        schema: dict[str, object] = {
            "type": self.kind,
            "default": self.default,
            "description": self.description,
        }
        if self.kind == "array":
            schema["default"] = list(self.default)  # type: ignore[arg-type]
            schema["items"] = dict(self.items) if self.items else {"type": "string"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def read(self, policy: str, raw: object) -> SettingValue:
        """Validate ``raw``; integers arrive as floats from the engine (protobuf Struct)."""
        if self.kind == "array":
            if self.read_items is not None:
                return self.read_items(policy, raw)
            return self._read_strings(policy, raw)
        if self.kind == "boolean":
            if not isinstance(raw, bool):
                raise PolicyConfigError(
                    f"{policy}.{self.key} must be true or false, got {echo_input(raw)}"
                )
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise PolicyConfigError(f"{policy}.{self.key} must be a number, got {echo_input(raw)}")
        if isinstance(raw, float) and not math.isfinite(raw):
            # NaN compares false with every bound: it would silently switch the check off.
            raise PolicyConfigError(
                f"{policy}.{self.key} must be a finite number, got {echo_input(raw)}"
            )
        if self.kind == "integer" and raw != int(raw):
            raise PolicyConfigError(
                f"{policy}.{self.key} must be a whole number, got {echo_input(raw)}"
            )
        # Settings without a bound of their own still get one: days, seconds and bits beyond
        # a million overflow date arithmetic, and mean a typo.
        lower = self.minimum if self.minimum is not None else -LARGEST_SETTING
        upper = self.maximum if self.maximum is not None else LARGEST_SETTING
        if raw < lower:
            raise PolicyConfigError(
                f"{policy}.{self.key} must be ≥ {_plain(lower)}, got {echo_input(raw)}"
            )
        if raw > upper:
            raise PolicyConfigError(
                f"{policy}.{self.key} must be ≤ {_plain(upper)}, got {echo_input(raw)}"
            )
        value: SettingValue = int(raw) if self.kind == "integer" else float(raw)
        return value

    def _read_strings(self, policy: str, raw: object) -> tuple[str, ...]:
        example = '["023e105f4ecef8ad9ca31a8372d0c353"]'
        if not isinstance(raw, list | tuple):
            raise PolicyConfigError(
                f"{policy}.{self.key} must be a list of strings such as {example}, got "
                f"{echo_input(raw)}"
            )
        if len(raw) > MAX_LIST_ITEMS:
            raise PolicyConfigError(
                f"{policy}.{self.key} lists {len(raw)} items, more than {MAX_LIST_ITEMS}"
            )
        for item in raw:
            if not isinstance(item, str) or not item.strip() or len(item) > MAX_LIST_ITEM_LENGTH:
                raise PolicyConfigError(
                    f"{policy}.{self.key} must hold only non-empty strings of at most "
                    f"{MAX_LIST_ITEM_LENGTH} characters, such as {example}; got "
                    f"{echo_input(item)}"
                )
        return tuple(raw)


@dataclass(frozen=True, slots=True)
class PolicySpec:
    name: str
    description: str
    level: Level
    severity: Severity
    remediation: str
    settings: tuple[Setting, ...] = ()

    def read_config(self, config: Mapping[str, object]) -> dict[str, SettingValue]:
        """Settings from a policy's config (defaults filled in); unknown keys are refused."""
        known = {setting.key: setting for setting in self.settings}
        problem = self.unknown_keys_problem(config)
        if problem is not None:
            raise PolicyConfigError(problem)
        return {
            key: setting.read(self.name, config[key]) if key in config else setting.default
            for key, setting in known.items()
        }

    def unknown_keys_problem(self, keys: Iterable[str]) -> str | None:
        """Why ``keys`` (a config's keys) are wrong for this policy, naming the valid ones."""
        valid = [setting.key for setting in self.settings]
        unknown = sorted(set(keys) - set(valid) - {ENFORCEMENT_LEVEL_KEY})
        if not unknown:
            return None
        offered = ", ".join(valid) if valid else "none (only enforcementLevel)"
        shown = ", ".join(key if key.isalpha() else echo_name(key) for key in unknown)
        return (
            f"{self.name} has no setting {shown}{_did_you_mean(unknown, valid)}; "
            f"its settings are: {offered}"
        )


def _did_you_mean(unknown: Sequence[str], valid: Iterable[str]) -> str:
    guesses = [g for name in unknown for g in difflib.get_close_matches(name, list(valid), n=1)]
    return f" (did you mean {', '.join(guesses)}?)" if guesses else ""


ResourceEvaluator = Callable[[Entry, dt.datetime, Settings], Evaluation]
StackEvaluator = Callable[[Sequence[Entry], Sequence[Place], dt.datetime, Settings], Evaluation]


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    spec: PolicySpec
    evaluate: ResourceEvaluator


@dataclass(frozen=True, slots=True)
class StackPolicy:
    spec: PolicySpec
    evaluate: StackEvaluator


def _verdict(message: str | None, place: Place) -> Evaluation:
    return PASSED if message is None else Evaluation((Violation(message, place.urn),))


def _on_facts(
    check: Callable[[CertificateFacts, Place, dt.datetime, Settings], str | None],
) -> ResourceEvaluator:
    """Run ``check`` on parsed facts; an unparseable input is another policy's business."""

    def evaluate(entry: Entry, now: dt.datetime, settings: Settings) -> Evaluation:
        if entry.facts is None:
            return Evaluation(not_applicable=NOT_WELL_FORMED)
        return _verdict(check(entry.facts, entry.place, now, settings), entry.place)

    return evaluate


def _expiry_warning(entry: Entry, now: dt.datetime, settings: Settings) -> Evaluation:
    if entry.facts is None:
        return Evaluation(not_applicable=NOT_WELL_FORMED)
    message = resource_rules.expiry_warning(
        entry.facts,
        entry.place,
        now=now,
        warn_days_remaining=_int(settings, "warnDaysRemaining"),
        max_lifetime_used_percent=_number(settings, "maxLifetimeUsedPercent"),
        deployed=entry.deployed,
    )
    return _verdict(message, entry.place)


def _well_formed(entry: Entry, now: dt.datetime, settings: Settings) -> Evaluation:
    return _verdict(resource_rules.well_formed(entry.problem, entry.place), entry.place)


def _number(settings: Settings, key: str) -> float:
    value = settings[key]
    if isinstance(value, tuple):
        raise TypeError(f"setting {key} is a list, not a number")
    return float(value)


def _int(settings: Settings, key: str) -> int:
    return int(_number(settings, key))


_MIN_DAYS = Setting(
    "minDaysRemaining",
    "integer",
    DEFAULT_MIN_DAYS_REMAINING,
    "Fewest days a CA must still be valid for.",
    minimum=0,
)
_WARN_DAYS = Setting(
    "warnDaysRemaining",
    "integer",
    DEFAULT_WARN_DAYS_REMAINING,
    "Days before expiry from which a CA needs a successor.",
    minimum=0,
)

WELL_FORMED = PolicySpec(
    "origin-ca-well-formed",
    "Checks that each trust-store certificate is exactly one PEM certificate and carries no "
    "private key.",
    Level.MANDATORY,
    Severity.HIGH,
    "Provide one PEM root CA certificate per resource; split bundles; remove any private key "
    "from the file, and rotate that key if it was ever committed or uploaded.",
)
NOT_EXPIRED = PolicySpec(
    "origin-ca-not-expired",
    "Checks that no trust-store CA has expired.",
    Level.MANDATORY,
    Severity.CRITICAL,
    "Upload a currently valid root CA for the zone, move origins to it, then remove the expired "
    "one.",
)
NOT_NEAR_EXPIRY = PolicySpec(
    "origin-ca-not-near-expiry",
    "Checks that each trust-store CA stays valid for at least minDaysRemaining days.",
    Level.MANDATORY,
    Severity.HIGH,
    "Upload the successor root CA first, then retire this one; or lower minDaysRemaining.",
    (_MIN_DAYS,),
)
EXPIRY_WARNING = PolicySpec(
    "origin-ca-expiry-warning",
    "Checks that no trust-store CA is inside its warning window or past most of its lifetime.",
    Level.ADVISORY,
    Severity.MEDIUM,
    "Plan the rotation: issue the successor root CA and add it to the zone before the mandatory "
    "window starts.",
    (
        _WARN_DAYS,
        Setting(
            "maxLifetimeUsedPercent",
            "number",
            DEFAULT_MAX_LIFETIME_USED_PERCENT,
            "Share of a CA's lifetime after which to warn (cert-manager renews at 2/3).",
            minimum=0,
            maximum=100,
        ),
    ),
)
NOT_YET_VALID = PolicySpec(
    "origin-ca-not-yet-valid",
    "Checks that each trust-store CA is already valid (allowing clockSkewSeconds of clock skew).",
    Level.MANDATORY,
    Severity.HIGH,
    "Deploy the CA once its notBefore date has passed, or reissue it with a correct notBefore.",
    (
        Setting(
            "clockSkewSeconds",
            "integer",
            DEFAULT_CLOCK_SKEW_SECONDS,
            "How far notBefore may lie in the future (cfssl backdates 5 minutes).",
            minimum=0,
        ),
    ),
)
IS_ROOT = PolicySpec(
    "origin-ca-is-root",
    "Checks that each trust-store certificate is a self-signed root CA (basicConstraints "
    "CA=TRUE, keyCertSign, issuer equal to subject, signature verifying with its own key).",
    Level.MANDATORY,
    Severity.HIGH,
    "Upload the root CA at the top of the chain, not an intermediate or leaf certificate.",
)
STRONG_CRYPTO = PolicySpec(
    "origin-ca-strong-crypto",
    "Checks that each trust-store CA uses strong cryptography: RSA of at least minRsaBits bits "
    "or ECDSA on P-256/P-384/P-521, not signed with MD5 or SHA-1, or post-quantum ML-DSA-44/65/87 "
    "(unless allowMLDSA is false).",
    Level.MANDATORY,
    Severity.HIGH,
    "Reissue the root CA with RSA 2048+ or ECDSA P-256/P-384 and a SHA-256 (or stronger) "
    "signature, or with ML-DSA-44/65/87; add it to the zone, then retire the weak one.",
    (
        Setting(
            "minRsaBits",
            "integer",
            DEFAULT_MIN_RSA_BITS,
            "Smallest RSA modulus accepted.",
            minimum=1024,
        ),
        Setting(
            "allowEdDSA",
            "boolean",
            DEFAULT_ALLOW_EDDSA,
            "Accept Ed25519/Ed448 CAs; Cloudflare does not document support for them.",
        ),
        Setting(
            "allowMLDSA",
            "boolean",
            DEFAULT_ALLOW_MLDSA,
            "Accept post-quantum ML-DSA-44/65/87 CAs (FIPS 204), which Cloudflare accepts since "
            "2026-06-17.",
        ),
    ),
)
ZONE_COVERAGE = PolicySpec(
    "origin-ca-zone-coverage",
    "Checks that after the deployment every zone with trust-store entries keeps at least "
    "minValidCAs CAs valid for minDaysRemaining days or more.",
    Level.MANDATORY,
    Severity.CRITICAL,
    "Add a successor root CA to the zone in the same deployment (or before) the old one runs "
    "out; or lower minDaysRemaining.",
    (
        Setting(
            "minValidCAs",
            "integer",
            DEFAULT_MIN_VALID_CAS,
            "Fewest distinct valid CAs each zone must keep.",
            minimum=1,
        ),
        _MIN_DAYS,
    ),
)
ROTATION_READY = PolicySpec(
    "origin-ca-rotation-ready",
    "Checks that every CA inside its warning window has a successor in the same zone that stays "
    "valid beyond it.",
    Level.ADVISORY,
    Severity.MEDIUM,
    "Upload the successor root CA to the zone now, so origins can switch before the old CA "
    "expires.",
    (_WARN_DAYS,),
)
NO_DUPLICATES = PolicySpec(
    "origin-ca-no-duplicates",
    "Checks that the same certificate (by SHA-256 fingerprint) appears at most once per zone.",
    # Mandatory: two resources claiming one entry is how a rename once emptied a zone.
    Level.MANDATORY,
    Severity.HIGH,
    "Keep one resource per certificate and zone; remove the duplicate.",
)
POST_QUANTUM_ONLY = PolicySpec(
    "origin-ca-post-quantum-only",
    "Checks that every zone holding post-quantum ML-DSA CAs holds no classical (RSA, ECDSA) CA "
    "beside them, which would keep a downgrade path open.",
    # Advisory: a mixed zone is the normal middle of a migration. Set it mandatory, for the
    # zones listed in `zones`, once their origins serve ML-DSA chains.
    Level.ADVISORY,
    Severity.MEDIUM,
    "Once every origin of the zone serves an ML-DSA certificate chain, remove the zone's "
    "classical CAs; until then keep them. Make it mandatory for such zones with "
    'enforcementLevel "mandatory" and their ids in zones.',
    (
        Setting(
            "zones",
            "array",
            (),
            "Zone ids this policy applies to (empty: every zone); with enforcementLevel "
            "mandatory, the zones that must stay post-quantum only.",
        ),
    ),
)
ORIGIN_COVERAGE = PolicySpec(
    "origin-ca-covers-origins",
    "Checks that after the deployment each declared origin's certificate chain still verifies, "
    "for its hostname, to a CA its zone keeps (to a public root when the zone keeps none), now "
    "and minDaysRemaining days from now.",
    Level.MANDATORY,
    Severity.CRITICAL,
    "Keep the CA that anchors the origin's chain until the origin serves a certificate from a CA "
    "the zone keeps: add the new CA, reissue the origin certificates, then remove the old CA.",
    (
        Setting(
            "origins",
            "array",
            (),
            "Origins to keep authenticated: {zoneId, hostname, chain}; chain is inline PEM or a "
            "PEM file path (a relative path starts at the policy pack's folder).",
            items=origin_rules.ORIGIN_SCHEMA,
            read_items=origin_rules.read_origins,
        ),
        _MIN_DAYS,
    ),
)


def _known(entries: Sequence[Entry]) -> list[zone_rules.KnownEntry]:
    return [
        zone_rules.KnownEntry(e.place, e.facts, deployed=e.deployed)
        for e in entries
        if e.facts is not None
    ]


def _pending_note(pending: Sequence[Place]) -> str:
    names = ", ".join(sorted(f"'{place.resource}'" for place in pending))
    count = len(pending)
    return f"skipped {count} entries whose certificate or zone is not known until apply: {names}"


def _zone_evaluation(report: zone_rules.ZoneReport, pending: Sequence[Place]) -> Evaluation:
    notes = [_pending_note(pending)] if pending else []
    if report.undecided_zones:
        zones = ", ".join(report.undecided_zones)
        notes.append(f"no verdict for zone(s) {zones} until those entries are known")
    notes.extend(report.untouched_shortfalls)
    return Evaluation(report.violations, notes=tuple(notes))


def _stack(
    run: Callable[
        [list[zone_rules.KnownEntry], Sequence[Place], dt.datetime, Settings],
        zone_rules.ZoneReport,
    ],
) -> StackEvaluator:
    def evaluate(
        entries: Sequence[Entry], pending: Sequence[Place], now: dt.datetime, settings: Settings
    ) -> Evaluation:
        known = _known(entries)
        if known:
            return _zone_evaluation(run(known, pending, now, settings), pending)
        if pending:
            return Evaluation(
                not_applicable=f"no trust-store entry is known yet; {_pending_note(pending)}"
            )
        return Evaluation(
            not_applicable="no well-formed custom origin trust store entries in this stack"
        )

    return evaluate


def _post_quantum(known: list[zone_rules.KnownEntry], settings: Settings) -> zone_rules.ZoneReport:
    zones = settings["zones"]
    listed = tuple(z for z in zones if isinstance(z, str)) if isinstance(zones, tuple) else ()
    return post_quantum.post_quantum_only(known, zones=listed)


def entry_for(certificate: object, place: Place, *, deployed: bool = False) -> Entry:
    """Parse once; a refused input becomes the entry's ``problem`` instead of an exception."""
    try:
        return Entry(place, facts=facts_from_text(certificate), deployed=deployed)
    except CertificateInputError as problem:
        return Entry(place, problem=problem, deployed=deployed)


#: Why a gate on one certificate stays quiet for an entry the deployment does not change.
ALREADY_DEPLOYED_NOTE = (
    "already deployed and not changed by this deployment, so it is not refused (its fix must go"
    " through); origin-ca-expiry-warning reports it"
)


def _new_only(evaluate: ResourceEvaluator) -> ResourceEvaluator:
    """A gate refuses only what the deployment adds or replaces (never makes a zone worse,
    never blocks its fix); a deployed, unchanged entry is reported by the advisory policy."""

    def gate(entry: Entry, now: dt.datetime, settings: Settings) -> Evaluation:
        if entry.deployed:
            return Evaluation(not_applicable=ALREADY_DEPLOYED_NOTE)
        return evaluate(entry, now, settings)

    return gate


RESOURCE_POLICIES: tuple[ResourcePolicy, ...] = (
    ResourcePolicy(WELL_FORMED, _well_formed),
    ResourcePolicy(
        NOT_EXPIRED,
        _new_only(_on_facts(lambda f, p, now, s: resource_rules.not_expired(f, p, now=now))),
    ),
    ResourcePolicy(
        NOT_NEAR_EXPIRY,
        _new_only(
            _on_facts(
                lambda f, p, now, s: resource_rules.not_near_expiry(
                    f, p, now=now, min_days_remaining=_int(s, "minDaysRemaining")
                )
            )
        ),
    ),
    ResourcePolicy(EXPIRY_WARNING, _expiry_warning),
    ResourcePolicy(
        NOT_YET_VALID,
        _on_facts(
            lambda f, p, now, s: resource_rules.not_yet_valid(
                f, p, now=now, clock_skew_seconds=_int(s, "clockSkewSeconds")
            )
        ),
    ),
    ResourcePolicy(IS_ROOT, _on_facts(lambda f, p, now, s: resource_rules.is_root(f, p))),
    ResourcePolicy(
        STRONG_CRYPTO,
        _on_facts(
            lambda f, p, now, s: resource_rules.strong_crypto(
                f,
                p,
                min_rsa_bits=_int(s, "minRsaBits"),
                allow_eddsa=bool(s["allowEdDSA"]),
                allow_mldsa=bool(s["allowMLDSA"]),
            )
        ),
    ),
)

STACK_POLICIES: tuple[StackPolicy, ...] = (
    StackPolicy(
        ZONE_COVERAGE,
        _stack(
            lambda known, pending, now, s: zone_rules.zone_coverage(
                known,
                now=now,
                min_valid_cas=_int(s, "minValidCAs"),
                min_days_remaining=_int(s, "minDaysRemaining"),
                pending=pending,
            )
        ),
    ),
    StackPolicy(
        ROTATION_READY,
        _stack(
            lambda known, pending, now, s: zone_rules.rotation_ready(
                known, now=now, warn_days_remaining=_int(s, "warnDaysRemaining"), pending=pending
            )
        ),
    ),
    StackPolicy(
        NO_DUPLICATES,
        _stack(lambda known, pending, now, s: zone_rules.no_duplicates(known)),
    ),
    StackPolicy(POST_QUANTUM_ONLY, _stack(lambda known, pending, now, s: _post_quantum(known, s))),
    StackPolicy(ORIGIN_COVERAGE, origin_rules.evaluate_origins),
)

#: Under Pulumi only: the engine ignores unknown policy names and setting keys in
#: ``--policy-pack-config``; this policy fails the preview on them instead (``check --config``
#: refuses them as usage errors before any run).
POLICY_CONFIG = PolicySpec(
    "origin-ca-policy-config",
    "Checks that the policy pack config names only this pack's policies and their settings.",
    Level.MANDATORY,
    Severity.HIGH,
    "Correct the misspelt policy or setting name in the --policy-pack-config file (the message "
    "lists the valid names); `cf-origin-trust-store check --config FILE` validates the file "
    "before a deployment.",
)

ALL_SPECS: tuple[PolicySpec, ...] = (
    *(policy.spec for policy in RESOURCE_POLICIES),
    *(policy.spec for policy in STACK_POLICIES),
    POLICY_CONFIG,
)
SPECS_BY_NAME: Mapping[str, PolicySpec] = {spec.name: spec for spec in ALL_SPECS}

# --- live stores only (``audit``): what a deployment cannot see ---------------------------------

DEFAULT_STUCK_AFTER_MINUTES = 60

ENTRY_STATUS = PolicySpec(
    "origin-ca-entry-status",
    "Checks that no live trust-store entry has Cloudflare's status expired, or is stuck in "
    "initializing or pending_deployment for longer than stuckAfterMinutes.",
    Level.MANDATORY,
    Severity.HIGH,
    "Upload a valid successor root CA and delete the expired entry; for a stuck entry, delete "
    "it and upload it again, and contact Cloudflare support if it sticks again.",
    (
        Setting(
            "stuckAfterMinutes",
            "integer",
            DEFAULT_STUCK_AFTER_MINUTES,
            "Minutes after uploaded_on from which an entry still initializing or "
            "pending_deployment is reported.",
            minimum=1,
        ),
    ),
)
UNMANAGED_ENTRY = PolicySpec(
    "origin-ca-unmanaged-entry",
    "Checks that every live trust-store entry is managed by one of the given stacks "
    "(audit --stack-state).",
    Level.ADVISORY,
    Severity.MEDIUM,
    "Declare the CA in a stack (adoptExisting takes over the live entry without a second "
    "upload), or delete the entry if nobody needs it.",
)
MISSING_ENTRY = PolicySpec(
    "origin-ca-missing-entry",
    "Checks that every entry a stack's state holds still exists in its zone (audit --stack-state).",
    Level.MANDATORY,
    Severity.HIGH,
    "Run `pulumi refresh` on the stack named in the message, then `pulumi up` to upload the CA "
    "again.",
)
#: Policies only ``audit`` runs; a policy config may set them (the pack leaves them alone).
AUDIT_SPECS: tuple[PolicySpec, ...] = (ENTRY_STATUS, UNMANAGED_ENTRY, MISSING_ENTRY)
#: Every policy a config file may name: the pack's and audit's.
CONFIG_SPECS_BY_NAME: Mapping[str, PolicySpec] = {
    spec.name: spec for spec in (*ALL_SPECS, *AUDIT_SPECS)
}


def config_name_problems(config: Mapping[str, Iterable[str]]) -> list[str]:
    """Unknown policy names and setting keys in a pack config (policy name → its keys)."""
    problems = []
    for name, keys in config.items():
        if name == ALL_POLICIES_KEY:
            continue
        spec = CONFIG_SPECS_BY_NAME.get(name)
        if spec is None:
            problems.append(
                f"unknown policy {echo_name(name)}{_did_you_mean([name], CONFIG_SPECS_BY_NAME)}; "
                f"the policies of this pack are: {', '.join(CONFIG_SPECS_BY_NAME)}"
            )
            continue
        problem = spec.unknown_keys_problem(keys)
        if problem is not None:
            problems.append(problem)
    return problems
