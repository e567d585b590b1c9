"""Checks of one certificate on its own. Pure: the clock is an argument.

Each returns the violation message, or ``None`` when the certificate passes. Boundaries follow
RFC 5280 (a certificate is valid *through* notAfter) and are inclusive in the user's favour:
exactly ``minDaysRemaining`` days left passes, one second less fails.
"""

from __future__ import annotations

import datetime as dt

from .certificates import ML_DSA_KEY_TYPES, CertificateFacts
from .errors import CertificateInputError, PrivateKeyMaterialError
from .outcomes import LIVE_KIND, Place, ca, ca_with_key, date, days, where

#: Curves the CA/Browser Forum Baseline Requirements allow for CA keys.
ALLOWED_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
#: Signature hashes with practical collision attacks.
BROKEN_SIGNATURE_HASHES = frozenset({"md5", "sha1"})
EDDSA_KEY_TYPES = frozenset({"Ed25519", "Ed448"})
_ONE_DAY = dt.timedelta(days=1)


def well_formed(problem: CertificateInputError | None, place: Place) -> str | None:
    """The input is exactly one parseable certificate and carries no private key."""
    if problem is None:
        return None
    if isinstance(problem, PrivateKeyMaterialError):
        return f"The certificate input of {where(place)} is refused: {problem}."
    return (
        f"The certificate input of {where(place)} is not one usable certificate: {problem}. "
        "Provide exactly one PEM root CA certificate (-----BEGIN CERTIFICATE-----)."
    )


def not_expired(facts: CertificateFacts, place: Place, *, now: dt.datetime) -> str | None:
    if now <= facts.not_after:
        return None
    return (
        f"{ca(facts)} for {where(place)} expired {date(facts.not_after)}, "
        f"{days(now - facts.not_after)} ago. Upload a valid root CA and remove this one."
    )


def not_near_expiry(
    facts: CertificateFacts, place: Place, *, now: dt.datetime, min_days_remaining: int
) -> str | None:
    remaining = facts.not_after - now
    if remaining >= min_days_remaining * _ONE_DAY:
        return None
    when = (
        f"expired {date(facts.not_after)}, {days(-remaining)} ago"
        if remaining < dt.timedelta(0)
        else f"expires {date(facts.not_after)}, {days(remaining)} from now"
    )
    if place.kind == LIVE_KIND:  # audit: the CA is in the zone already, so no deployment
        return (
            f"{ca(facts)} in {where(place)} {when}, under the {min_days_remaining} days "
            "(minDaysRemaining) a CA must stay valid. Upload its successor root CA to the zone "
            "now and move origins to it, then remove this one; or lower minDaysRemaining."
        )
    return (
        f"{ca(facts)} for {where(place)} {when}: this CA is too short-lived to deploy; policy "
        f"requires at least {min_days_remaining} days remaining (minDaysRemaining). Deploy a "
        "root CA valid for longer instead, or lower minDaysRemaining."
    )


def expiry_warning(
    facts: CertificateFacts,
    place: Place,
    *,
    now: dt.datetime,
    warn_days_remaining: int,
    max_lifetime_used_percent: float,
    deployed: bool = False,
) -> str | None:
    """Early warning: inside the warning window, or most of the lifetime used (2/3 by default).

    Expired certificates are left to ``origin-ca-not-expired``, except ``deployed`` ones: that
    gate does not refuse what a deployment leaves unchanged, so they are reported here, loudly.
    """
    remaining = facts.not_after - now
    if remaining < dt.timedelta(0):
        if not deployed:
            return None
        return (
            f"ALREADY DEPLOYED: {ca(facts)} for {where(place)} expired "
            f"{date(facts.not_after)}, {days(-remaining)} ago, and the zone still holds it. "
            "This deployment is not refused for it. Upload a valid root CA to the zone and "
            "remove this one."
        )
    reasons = []
    if remaining < warn_days_remaining * _ONE_DAY:
        reasons.append(
            f"{days(remaining)} left, under the {warn_days_remaining}-day warning window "
            "(warnDaysRemaining)"
        )
    lifetime = facts.lifetime
    used_percent = 100.0 * ((now - facts.not_before) / lifetime) if lifetime else 100.0
    if used_percent > max_lifetime_used_percent:
        reasons.append(
            f"{used_percent:.0f}% of its lifetime used, over {max_lifetime_used_percent:g}% "
            "(maxLifetimeUsedPercent)"
        )
    if not reasons:
        return None
    loud = "ALREADY DEPLOYED: " if deployed else ""
    return (
        f"{loud}{ca(facts)} for {where(place)} expires {date(facts.not_after)}: "
        f"{'; '.join(reasons)}. Plan its successor now: upload the new root CA to the zone "
        "before this one enters the mandatory window."
    )


def not_yet_valid(
    facts: CertificateFacts, place: Place, *, now: dt.datetime, clock_skew_seconds: int
) -> str | None:
    allowance = dt.timedelta(seconds=clock_skew_seconds)
    if facts.not_before <= now + allowance:
        return None
    return (
        f"{ca(facts)} for {where(place)} is not valid until "
        f"{facts.not_before.isoformat()} ({days(facts.not_before - now)} from now); the allowed "
        f"clock skew is {clock_skew_seconds} seconds (clockSkewSeconds). Deploy it once it is "
        "valid, or fix its notBefore date."
    )


def is_root(facts: CertificateFacts, place: Place) -> str | None:
    """A root CA: basicConstraints CA=true, keyCertSign (if key usage is present), self-signed."""
    reasons = []
    if not facts.has_basic_constraints:
        reasons.append("it has no basicConstraints extension (a CA needs CA=TRUE)")
    elif not facts.is_ca:
        reasons.append("its basicConstraints say CA=FALSE (it is an end-entity certificate)")
    if facts.has_key_usage and not facts.key_cert_sign:
        reasons.append("its key usage does not allow keyCertSign")
    if not facts.is_self_issued:
        reasons.append(
            f"it is issued by '{facts.issuer_display_name}', not by itself "
            "(an intermediate or leaf certificate)"
        )
    elif not facts.self_signature_verifies:
        reasons.append(
            "its issuer equals its subject but its signature does not verify with its own key"
        )
    if not reasons:
        return None
    return (
        f"{ca(facts)} for {where(place)} is not a root CA: {'; '.join(reasons)}. "
        "Cloudflare's custom origin trust store accepts root CA certificates only: upload the "
        "root of the chain instead."
    )


def strong_crypto(
    facts: CertificateFacts,
    place: Place,
    *,
    min_rsa_bits: int,
    allow_eddsa: bool,
    allow_mldsa: bool = True,
) -> str | None:
    """CA/Browser Forum strength: RSA ≥ 2048, ECDSA on P-256/384/521, no MD5 or SHA-1; and
    the post-quantum ML-DSA-44/65/87 (FIPS 204), unless ``allow_mldsa`` is off.

    Cloudflare's Custom Origin Trust Store accepts ML-DSA root CAs since 2026-06-17 (SSL
    changelog "Post-quantum ML-DSA certificates for Authenticated Origin Pulls and Custom
    Origin Trust Store"; see docs/policies.md). EdDSA (Ed25519, Ed448) is refused unless
    ``allow_eddsa``: the Baseline Requirements do not permit it and Cloudflare does not document
    whether origin mTLS accepts such a CA, so a deployment could succeed and still break every
    origin connection.
    """
    reasons = []
    if facts.key_type == "RSA" and facts.key_bits < min_rsa_bits:
        reasons.append(f"its RSA key has {facts.key_bits} bits, under {min_rsa_bits} (minRsaBits)")
    elif facts.key_type == "EC" and facts.ec_curve not in ALLOWED_EC_CURVES:
        reasons.append(
            f"its EC key uses curve {facts.ec_curve}; only P-256, P-384 and P-521 are allowed"
        )
    elif facts.key_type in EDDSA_KEY_TYPES and not allow_eddsa:
        reasons.append(
            f"its key is {facts.key_type}, which Cloudflare does not document as supported for "
            "origin CAs (set allowEdDSA to accept it)"
        )
    elif facts.is_post_quantum and not allow_mldsa:
        reasons.append(
            f"its key is the post-quantum {facts.key_type}, and allowMLDSA is false (Cloudflare "
            "accepts ML-DSA-44/65/87 root CAs; set allowMLDSA to true to accept it)"
        )
    elif facts.key_type not in {"RSA", "EC", *EDDSA_KEY_TYPES, *ML_DSA_KEY_TYPES}:
        reasons.append(f"its key type {facts.key_type} is not RSA, ECDSA or ML-DSA")
    if facts.signature_hash in BROKEN_SIGNATURE_HASHES:
        reasons.append(f"it is signed with {facts.signature_hash.upper()}, which is broken")
    elif facts.signature_hash is None and not _signs_without_hash(facts):
        reasons.append("its signature algorithm is not recognised")
    elif facts.signature_hash is not None and facts.signature_hash.startswith("unsupported"):
        reasons.append(f"its signature algorithm is {facts.signature_hash}")
    if not reasons:
        return None
    post_quantum = ", or with an ML-DSA-44/65/87 key" if allow_mldsa else ""
    return (
        f"{ca_with_key(facts)} for {where(place)} uses weak or unsupported cryptography: "
        f"{'; '.join(reasons)}. Reissue the root CA with an RSA key of at least {min_rsa_bits} "
        f"bits or an ECDSA P-256/P-384 key, signed with SHA-256 or stronger{post_quantum}."
    )


def _signs_without_hash(facts: CertificateFacts) -> bool:
    """EdDSA and ML-DSA sign the message itself: no separate hash is named."""
    return facts.key_type in EDDSA_KEY_TYPES or facts.is_post_quantum
