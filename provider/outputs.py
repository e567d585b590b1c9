"""The resource's outputs: what Cloudflare reports about an entry, plus facts derived from it.

Names match the official provider's ``CustomOriginTrustStore`` where it has them (``expiresOn``,
``issuer``, ``signature``, ``status``, ``uploadedOn``, ``updatedAt``), so stack outputs and
policies read the same either way; the certificate facts people and policies need on top of
them (``fingerprintSha256``, ``subject``, ``notBefore``, ``notAfter``, ``keyType``) come from
the one certificate-facts implementation in ``policies.trust_rules.certificates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from policies.trust_rules import certificates
from provider.client import TrustStoreEntry
from provider.inputs import ALL_INPUTS, CERTIFICATE

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
#: ``RSA 2048``, ``EC P-256``, ``ML-DSA-65``: what kind of CA this is (post-quantum or not).
KEY_TYPE = "keyType"
#: True when the entry existed before this stack managed it (see ``adoptExisting``).
ADOPTED = "adopted"

API_OUTPUTS = (EXPIRES_ON, ISSUER, SIGNATURE, STATUS, UPLOADED_ON, UPDATED_AT)
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
