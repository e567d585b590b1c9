"""Real SHA-1 and MD5 signed certificates, which cryptography 50 no longer signs itself.

The certificate is built by ``scripts.certs`` as SHA-256/RSA, then its to-be-signed part gets the
legacy algorithm identifier (same length, so no DER re-encoding) and is signed for real with the
RSA key through PKCS#1 v1.5 — which cryptography still allows with SHA-1 and MD5. The outer
certificate is assembled by a minimal DER writer. The result verifies with the key's public half.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from scripts.certs import CertSpec, Issued, build, rsa_key

# DER of the OID bodies (tag and length excluded); all three are 9 bytes long.
_SHA256_WITH_RSA = bytes.fromhex("2a864886f70d01010b")
_LEGACY_OIDS: dict[str, tuple[bytes, hashes.HashAlgorithm]] = {
    "sha1": (bytes.fromhex("2a864886f70d010105"), hashes.SHA1()),  # noqa: S303 - on purpose
    "md5": (bytes.fromhex("2a864886f70d010104"), hashes.MD5()),  # noqa: S303 - on purpose
}


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _algorithm_identifier(oid_body: bytes) -> bytes:
    return _der(0x30, _der(0x06, oid_body) + b"\x05\x00")


def legacy_signed(hash_name: str, spec: CertSpec | None = None, **overrides: object) -> Issued:
    """A certificate like ``build(spec, **overrides)`` but signed with ``hash_name`` (sha1/md5).

    The signing key must be RSA (the only legacy combination that matters in practice).
    """
    oid_body, algorithm = _LEGACY_OIDS[hash_name]
    spec = spec or CertSpec()
    if spec.key is None and "key" not in overrides:
        overrides["key"] = rsa_key(2048)
    modern = build(spec, hash_algorithm=hashes.SHA256(), **overrides)
    signing_key = spec.issuer.key if spec.issuer else modern.key
    if not isinstance(signing_key, rsa.RSAPrivateKey):
        raise TypeError("legacy signatures are built for RSA signing keys only")
    tbs = modern.cert.tbs_certificate_bytes
    if tbs.count(_SHA256_WITH_RSA) != 1:
        raise AssertionError("expected exactly one sha256WithRSAEncryption identifier in TBS")
    tbs = tbs.replace(_SHA256_WITH_RSA, oid_body)
    signature = signing_key.sign(tbs, padding.PKCS1v15(), algorithm)
    der = _der(0x30, tbs + _algorithm_identifier(oid_body) + _der(0x03, b"\x00" + signature))
    return Issued(cert=x509.load_der_x509_certificate(der), key=modern.key)
