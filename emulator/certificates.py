"""What the emulator reads out of an uploaded certificate, and the upload rules it enforces.

The checks run in this order, each a 400 (codes in :mod:`emulator.errors`):
private key material (1416, the key is never echoed) → number of PEM certificate blocks
(0: 1002, >1: 1414) → X.509 parse (1002) → root CA: basicConstraints CA=TRUE and
self-signed, i.e. issuer == subject and the signature verifies with its own key (1411).
keyUsage/keyCertSign, key strength and hash strength are NOT checked here (the real API's
behaviour is unknown; those are the policy pack's job). Post-quantum ML-DSA-44/65/87 roots are
accepted like any other root: Cloudflare's SSL changelog of 2026-06-17 ("Post-quantum ML-DSA
certificates for Authenticated Origin Pulls and Custom Origin Trust Store") says the store takes
ML-DSA CAs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from emulator import errors

_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)
_BEGIN_CERT = "-----BEGIN CERTIFICATE-----"

#: Signature algorithm names as Cloudflare shows them (Go's x509.SignatureAlgorithm
#: constant names; the API's own example is ``SHA256WithRSA``).
SIGNATURE_NAMES: dict[x509.ObjectIdentifier, str] = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "SHA224WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512WithRSA",
    SignatureAlgorithmOID.RSASSA_PSS: "SHA256WithRSAPSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSAWithSHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "ECDSAWithSHA224",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSAWithSHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSAWithSHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSAWithSHA512",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "DSAWithSHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "DSAWithSHA256",
    SignatureAlgorithmOID.ED25519: "PureEd25519",
    SignatureAlgorithmOID.ED448: "PureEd448",
    # Go's crypto/x509 has no names for these yet; ours, after FIPS 204's parameter sets.
    SignatureAlgorithmOID.ML_DSA_44: "ML-DSA-44",
    SignatureAlgorithmOID.ML_DSA_65: "ML-DSA-65",
    SignatureAlgorithmOID.ML_DSA_87: "ML-DSA-87",
}


@dataclass(frozen=True)
class ParsedCertificate:
    pem: str  # normalised: the PEM block, exactly one trailing newline
    fingerprint_sha256: str  # lowercase hex of SHA-256(DER)
    issuer: str
    signature: str
    not_before: dt.datetime
    expires_on: dt.datetime
    subject: str


def normalise_pem(text: str) -> str:
    """Surrounding whitespace removed, exactly one trailing newline (what Cloudflare returns)."""
    return text.strip() + "\n"


def parse_upload(text: str) -> ParsedCertificate:
    """Parse an uploaded ``certificate``; raises :class:`errors.ApiError` (400) if refused."""
    if _PRIVATE_KEY.search(text):
        raise errors.private_key_material()
    blocks = _CERT_BLOCK.findall(text)
    begins = text.count(_BEGIN_CERT)
    if begins > 1 or len(blocks) > 1:
        raise errors.multiple_certificates(max(begins, len(blocks)))
    if not blocks:
        raise errors.unparseable_certificate(
            "no PEM block '-----BEGIN CERTIFICATE-----' ... '-----END CERTIFICATE-----' found"
        )
    outside = _CERT_BLOCK.sub("", text).strip()
    if outside:
        raise errors.unparseable_certificate("unexpected text outside the PEM block")
    try:
        cert = x509.load_pem_x509_certificate(blocks[0].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise errors.unparseable_certificate(
            "the PEM block is not a valid X.509 certificate"
        ) from exc
    _require_root_ca(cert)
    der = cert.public_bytes(serialization.Encoding.DER)
    return ParsedCertificate(
        pem=normalise_pem(text),
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        issuer=issuer_label(cert),
        signature=signature_name(cert),
        not_before=cert.not_valid_before_utc,
        expires_on=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
    )


def issuer_label(cert: x509.Certificate) -> str:
    """The issuer organisation (as in the API example ``GlobalSign``), else CN, else RFC 4514."""
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.issuer.get_attributes_for_oid(oid)
        if values:
            value = values[0].value
            return value if isinstance(value, str) else value.decode(errors="replace")
    return cert.issuer.rfc4514_string()


def signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return SIGNATURE_NAMES.get(oid, oid.dotted_string)


def _require_root_ca(cert: x509.Certificate) -> None:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        raise errors.not_root_ca(
            "the certificate has no basicConstraints extension (not a CA certificate)"
        ) from None
    if not constraints.ca:
        raise errors.not_root_ca("basicConstraints CA is FALSE (a leaf, not a CA certificate)")
    if cert.issuer != cert.subject:
        raise errors.not_root_ca(
            "the certificate is not self-signed (issuer differs from subject: an intermediate "
            "or leaf certificate)"
        )
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise errors.not_root_ca(
            "the certificate is not self-signed (its signature does not verify with its own key)"
        ) from exc
