"""The resource's properties in state: their names, the checks ``check()`` runs on the inputs,
the outputs built from an entry, and what a change of inputs does to the entry.

One module because all three read the same property tables. Pure functions: no API call, no
clock. Certificate facts come from ``policies.trust_rules.certificates``, the one
implementation the policy pack uses too.

Inputs. During preview any input may be *unknown* (computed by another resource): it is passed
through unchecked, and checked for real when its value is known (the engine calls check again).

Outputs. Names match the official provider's ``CustomOriginTrustStore`` where it has them
(``expiresOn``, ``issuer``, ``signature``, ``status``, ``uploadedOn``, ``updatedAt``), so stack
outputs and policies read the same either way; the certificate facts people and policies need
on top of them (``fingerprintSha256``, ``subject``, ``notBefore``, ``notAfter``) are derived.

Changes. Cloudflare has no update call for an entry, so a new zone or a new certificate
replaces it: the new entry is created before the old one is deleted
(``delete_before_replace=False``), so a zone never has a moment without the CA. Whitespace and
line endings of the PEM, and changes of the pickled provider (``__provider``, i.e. our own
code), change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from policies.trust_rules import certificates
from policies.trust_rules.errors import (
    CertificateBundleError,
    CertificateInputError,
    EmptyCertificateError,
    NotTextError,
    PrivateKeyMaterialError,
)
from provider.client import MAX_CERTIFICATE_LENGTH, TrustStoreEntry
from provider.entries import echo_id

# -- inputs: names and checks ---------------------------------------------------------------------

# Input property names, as the official provider names them where it has them.
ZONE_ID = "zoneId"
CERTIFICATE = "certificate"
# Our own options (the official resource has no equivalent).
ADOPT_EXISTING = "adoptExisting"
WAIT_FOR_ACTIVE = "waitForActive"
ACTIVE_TIMEOUT_SECONDS = "activeTimeoutSeconds"
ALLOW_EMPTY_ZONE = "allowEmptyZone"
#: Set by check, never by the user: this resource already holds this certificate in this zone
#: (the engine passed it as the old inputs). The policy pack refuses near-expiry CAs only when
#: a deployment adds them, and reports ones already deployed without blocking their fix.
ALREADY_DEPLOYED = "alreadyDeployed"

#: Both replace the entry when they change: Cloudflare has no update call for an entry.
REPLACING_INPUTS = (ZONE_ID, CERTIFICATE)
OPTION_INPUTS = (ADOPT_EXISTING, WAIT_FOR_ACTIVE, ACTIVE_TIMEOUT_SECONDS, ALLOW_EMPTY_ZONE)
ALL_INPUTS = REPLACING_INPUTS + OPTION_INPUTS

DEFAULT_ACTIVE_TIMEOUT_SECONDS = 300
#: Longer waits are refused: a deployment that needs more should not hold `pulumi up` open.
MAX_ACTIVE_TIMEOUT_SECONDS = 3600

_ZONE_ID = re.compile(r"[0-9a-fA-F]{32}")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
PRIVATE_KEY_REASON = "certificate contains private key material"


@dataclass(frozen=True)
class Failure:
    """One refused property, in the shape of the engine's CheckFailure."""

    property: str
    reason: str

    def reported_property(self) -> str:
        """The property named to the engine: always empty.

        For a named property the engine prints "property X value {<the raw input>} has a
        problem", whole: a secret pasted into the wrong input (an API token as zoneId), or a
        private key in a certificate, would be written to the terminal and CI logs. Unnamed,
        the engine prints "resource 'x' has a problem: <reason>", and every reason names its
        property itself and quotes the value only as ``echo_id`` does.
        """
        return ""


def python_name(key: str) -> str:
    """``activeTimeoutSeconds`` -> ``active_timeout_seconds``: the Python attribute (and
    ``Options`` field) of a property named in state."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def is_unknown(value: object) -> bool:
    """Whether ``value`` stands for a value not known until apply: the SDK hands providers an
    ``Unknown`` object, or the engine's sentinel string where it was not converted."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def _describe_zone_id(value: object) -> str:
    """A refused zone id, quoted so that what is wrong shows (the first bad character and the
    length), without echoing a long value whole: it may be a token pasted in the wrong place."""
    if value is None:
        return "nothing"
    if not isinstance(value, str):
        return _describe(value)
    bad = next(((i, c) for i, c in enumerate(value) if c not in _HEX_DIGITS), None)
    if bad is not None:
        index, char = bad
        return f"{_describe(value)}, whose character {index + 1} ({char!r}) is not a hex digit"
    return f"{_describe(value)}, which has {len(value)} characters instead of 32"


def check_zone_id(value: object) -> tuple[str | None, Failure | None]:
    """The zone id, lower-cased (Cloudflare's own spelling), or why it is refused."""
    if not isinstance(value, str) or _ZONE_ID.fullmatch(value) is None:
        shown = _describe_zone_id(value)
        return None, Failure(
            ZONE_ID,
            f"zoneId must be the zone's 32-character hexadecimal id (like"
            f" 023e105f4ecef8ad9ca31a8372d0c353, on the zone's Overview page in the Cloudflare"
            f" dashboard); got {shown}.",
        )
    return value.lower(), None


def _describe(value: object) -> str:
    """A refused value as messages quote it: strings as the client quotes a bad id."""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"  # the engine sends every number as a float
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > 15:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    return echo_id(value)


def check_certificate(value: object) -> tuple[str | None, Failure | None]:
    """The canonical PEM of a self-signed root CA certificate, or why it is refused.

    Messages never quote the input: it may hold a private key.
    """
    if isinstance(value, str) and len(value) > MAX_CERTIFICATE_LENGTH:
        return None, Failure(
            CERTIFICATE,
            f"certificate is {len(value)} characters long, more than the"
            f" {MAX_CERTIFICATE_LENGTH} Cloudflare's client accepts for one root CA certificate;"
            " give one root CA certificate per resource.",
        )
    try:
        facts = certificates.facts_from_text(value)
    except PrivateKeyMaterialError:
        return None, Failure(
            CERTIFICATE,
            f"{PRIVATE_KEY_REASON} (a '-----BEGIN ... PRIVATE KEY-----'"
            " block). Give only the root CA certificate; keep the key out of the program, out"
            " of stack config and out of the repository. Nothing was sent to Cloudflare.",
        )
    except CertificateBundleError as exc:
        return None, Failure(CERTIFICATE, f"certificate: {exc}.")
    except (NotTextError, EmptyCertificateError) as exc:
        return None, Failure(
            CERTIFICATE, f"certificate: {exc}; give one root CA certificate in PEM form."
        )
    except CertificateInputError as exc:
        return None, Failure(
            CERTIFICATE,
            f"certificate cannot be parsed: {exc}. Give one root CA certificate in PEM form"
            " (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----).",
        )
    who = f"'{facts.subject}' (SHA-256 {facts.short_fingerprint}, {facts.key_description})"
    if not facts.is_ca:
        return None, Failure(
            CERTIFICATE,
            f"certificate {who} is not a CA certificate (basicConstraints CA:TRUE is missing)."
            " Cloudflare's origin trust store accepts only root CA certificates: give the root"
            " CA that issued your origin's certificate, not the origin certificate itself.",
        )
    if not (facts.is_self_issued and facts.self_signature_verifies):
        return None, Failure(
            CERTIFICATE,
            f"certificate {who} is not a self-signed root CA: it was issued by"
            f" '{facts.issuer}'. Cloudflare accepts only root CAs: give the root at the top of"
            " its chain instead of this intermediate.",
        )
    return facts.normalized_pem, None


def _check_bool(props: Mapping[str, Any], key: str) -> tuple[Any, Failure | None]:
    value = props.get(key)
    if value is None or is_unknown(value) or isinstance(value, bool):
        return value, None
    return None, Failure(key, f"{key} must be true or false; got {_describe(value)}.")


def _check_timeout(props: Mapping[str, Any]) -> tuple[Any, Failure | None]:
    value = props.get(ACTIVE_TIMEOUT_SECONDS)
    if value is None or is_unknown(value):
        return value, None
    number_ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not number_ok or not 1 <= value <= MAX_ACTIVE_TIMEOUT_SECONDS or value != int(value):
        return None, Failure(
            ACTIVE_TIMEOUT_SECONDS,
            f"activeTimeoutSeconds must be a whole number of seconds from 1 to"
            f" {MAX_ACTIVE_TIMEOUT_SECONDS}; got {_describe(value)}.",
        )
    return int(value), None


def already_deployed(olds: Mapping[str, Any], checked: Mapping[str, Any]) -> bool:
    """Whether the old inputs hold the same zone and certificate as the checked new ones."""
    if not olds or is_unknown(checked.get(CERTIFICATE)) or is_unknown(checked.get(ZONE_ID)):
        return False
    old_zone, old_pem = olds.get(ZONE_ID), olds.get(CERTIFICATE)
    if not isinstance(old_zone, str) or old_zone.lower() != checked.get(ZONE_ID):
        return False
    try:
        return certificates.normalize_pem(old_pem) == checked.get(CERTIFICATE)  # type: ignore[arg-type]
    except CertificateInputError:
        return False


#: What check returns instead of an input holding a private key: the pack still sees a key.
WITHHELD_KEY_MATERIAL = (
    "-----BEGIN PRIVATE KEY-----\n(withheld: the provider never repeats key material)\n"
    "-----END PRIVATE KEY-----\n"
)


def _as_given(key: str, raw: object, failure: Failure) -> object:
    if key == CERTIFICATE and failure.reason.startswith(PRIVATE_KEY_REASON):
        return WITHHELD_KEY_MATERIAL
    return raw


def check_inputs(
    news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[Failure]]:
    """Checked, normalised inputs (only the known input keys) and every failure found."""
    checked: dict[str, Any] = {}
    failures: list[Failure] = []

    for key, checker in ((ZONE_ID, check_zone_id), (CERTIFICATE, check_certificate)):
        raw = news.get(key)
        if is_unknown(raw):
            checked[key] = raw
            continue
        value, failure = checker(raw)
        if failure is not None:
            failures.append(failure)
        # A refused input is returned as given, so the policy pack reports the real reason
        # (a leaf, a bundle) instead of "certificate is missing"; key material never is.
        checked[key] = value if failure is None else _as_given(key, raw, failure)

    for key in (ADOPT_EXISTING, WAIT_FOR_ACTIVE, ALLOW_EMPTY_ZONE):
        value, failure = _check_bool(news, key)
        if failure is not None:
            failures.append(failure)
        elif value is not None:
            checked[key] = value
    timeout, failure = _check_timeout(news)
    if failure is not None:
        failures.append(failure)
    elif timeout is not None:
        checked[ACTIVE_TIMEOUT_SECONDS] = timeout
    if not failures and already_deployed(olds or {}, checked):
        checked[ALREADY_DEPLOYED] = True
    return checked, failures


@dataclass(frozen=True)
class Options:
    """The resource's behaviour switches, with their documented defaults applied."""

    adopt_existing: bool = False
    wait_for_active: bool = False
    active_timeout_seconds: int = DEFAULT_ACTIVE_TIMEOUT_SECONDS
    allow_empty_zone: bool = False

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> Options:
        timeout = props.get(ACTIVE_TIMEOUT_SECONDS)
        return cls(
            adopt_existing=props.get(ADOPT_EXISTING) is True,
            wait_for_active=props.get(WAIT_FOR_ACTIVE) is True,
            allow_empty_zone=props.get(ALLOW_EMPTY_ZONE) is True,
            active_timeout_seconds=(
                int(timeout) if isinstance(timeout, int | float) else DEFAULT_ACTIVE_TIMEOUT_SECONDS
            ),
        )


# -- outputs ------------------------------------------------------------------------------------

EXPIRES_ON = "expiresOn"
ISSUER = "issuer"
SIGNATURE = "signature"
STATUS = "status"
UPLOADED_ON = "uploadedOn"
UPDATED_AT = "updatedAt"
FINGERPRINT_SHA256 = "fingerprintSha256"
SUBJECT = "subject"
NOT_BEFORE = "notBefore"
NOT_AFTER = "notAfter"
#: True when the entry existed before this stack managed it (see ``adoptExisting``).
ADOPTED = "adopted"

API_OUTPUTS = (EXPIRES_ON, ISSUER, SIGNATURE, STATUS, UPLOADED_ON, UPDATED_AT)
#: ``RSA 2048``, ``EC P-256``, ``ML-DSA-65``: what kind of CA this is (post-quantum or not).
KEY_TYPE = "keyType"
DERIVED_OUTPUTS = (FINGERPRINT_SHA256, SUBJECT, NOT_BEFORE, NOT_AFTER, KEY_TYPE)
ALL_OUTPUTS = (*API_OUTPUTS, *DERIVED_OUTPUTS, ADOPTED)


def timestamp(instant: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, Cloudflare's style: stable text, so no spurious diffs."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def certificate_outputs(pem: str) -> dict[str, str]:
    """Derived facts of the certificate (the input was checked, so it parses)."""
    facts = certificates.facts_from_text(pem)
    return {
        CERTIFICATE: facts.normalized_pem,
        FINGERPRINT_SHA256: facts.sha256_fingerprint,
        SUBJECT: facts.subject,
        NOT_BEFORE: timestamp(facts.not_before),
        NOT_AFTER: timestamp(facts.not_after),
        KEY_TYPE: facts.key_description,
    }


def entry_outputs(entry: TrustStoreEntry) -> dict[str, str]:
    """What Cloudflare says about the entry, under the official provider's names."""
    return {
        EXPIRES_ON: timestamp(entry.expires_on),
        ISSUER: entry.issuer,
        SIGNATURE: entry.signature,
        STATUS: str(entry.status),
        UPLOADED_ON: timestamp(entry.uploaded_on),
        UPDATED_AT: timestamp(entry.updated_at),
    }


def build_outputs(
    inputs: Mapping[str, Any], entry: TrustStoreEntry, *, adopted: bool
) -> dict[str, Any]:
    """Every output: the checked inputs echoed (diff compares new inputs with these), the
    certificate's facts, then what Cloudflare reports."""
    outs: dict[str, Any] = {key: inputs[key] for key in ALL_INPUTS if inputs.get(key) is not None}
    outs.update(certificate_outputs(str(inputs[CERTIFICATE])))
    outs.update(entry_outputs(entry))
    outs[ADOPTED] = adopted
    return outs


# -- changes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The outcome of comparing old outputs with new inputs."""

    replaces: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


def _canonical_certificate(value: object) -> object:
    try:
        return certificates.normalize_pem(value)  # type: ignore[arg-type]
    except CertificateInputError:
        return "".join(value.split()) if isinstance(value, str) else value


def _same(key: str, old: object, new: object) -> bool:
    if key == CERTIFICATE:
        return _canonical_certificate(old) == _canonical_certificate(new)
    if isinstance(old, str) and isinstance(new, str):
        return old.lower() == new.lower()
    return old == new


def compare(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Change:
    """Which inputs force a replacement and which only need the outputs refreshed.

    A value unknown during preview is reported as a change of its kind: the plan then shows
    what will happen if it does change.
    """
    replaces = [
        key
        for key in REPLACING_INPUTS
        if is_unknown(news.get(key)) or not _same(key, olds.get(key), news.get(key))
    ]
    unknown_options = [key for key in OPTION_INPUTS if is_unknown(news.get(key))]
    updates = unknown_options or (
        [
            key
            for key in OPTION_INPUTS
            if getattr(Options.from_props(olds), python_name(key))
            != getattr(Options.from_props(news), python_name(key))
        ]
    )
    return Change(replaces=replaces, updates=updates)
