"""Origin coverage: does a set of CAs let Cloudflare authenticate an origin's presented chain?

Pure functions, clock passed in. The chain is judged with ``cryptography.x509.verification``
(server verification for the origin's hostname) against the zone's CAs, at ``now`` and again at
``now + minDaysRemaining``. An empty set stands for Cloudflare's public trust store: the caller
passes public roots (see ``public_roots``) and they are used instead.

Two relaxations of the verifier's Web PKI profile, because Cloudflare does not require them of
private CAs either: the authority key identifier may be absent from a certificate (private CAs
often omit it). Everything else (validity, name, basic constraints, key usage) stays as the
verifier checks it.

What the pinned verifier (cryptography 50) cannot judge, measured rather than assumed (see the
tests): public keys other than RSA of 2048 bits or more, ECDSA on P-256/P-384/P-521 and ML-DSA
on any certificate that signs (Ed25519, Ed448, DSA, other curves: "Forbidden public key
algorithm"; RSA below 2048 bits: "RSA key is too weak"), and signatures other than RSA PKCS#1
v1.5/PSS and ECDSA with SHA-256/384/512, and ML-DSA-44/65/87 (SHA-1, MD5 are refused). Such a
chain is reported as ``CANNOT_VERIFY``, never as covered.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa
from cryptography.x509 import verification

from .printable import printable

#: Smallest RSA key the verifier accepts on a signing certificate.
MIN_VERIFIABLE_RSA_BITS = 2048
_VERIFIABLE_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
_VERIFIABLE_HASHES = frozenset({"sha256", "sha384", "sha512"})
#: ML-DSA (FIPS 204) signature algorithms, which the verifier supports (measured).
_MLDSA_SIGNATURES = frozenset(
    {
        "2.16.840.1.101.3.4.3.17",  # ML-DSA-44
        "2.16.840.1.101.3.4.3.18",  # ML-DSA-65
        "2.16.840.1.101.3.4.3.19",  # ML-DSA-87
    }
)
_MLDSA_KEYS = (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey)
#: Verifier messages that mean "I do not support this", not "this does not verify".
_UNSUPPORTED_MARKERS = (
    "Forbidden public key algorithm",
    "Forbidden signature algorithm",
    "RSA key is too weak",
    "unsupported",
)
_ENCOUNTERED = re.compile(r"\s*\(encountered processing <Certificate\(.*\)>\)\s*$", re.DOTALL)
_ONE_DAY = dt.timedelta(days=1)


class CoverageStatus(enum.StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not covered"
    CANNOT_VERIFY = "cannot verify"


@dataclass(frozen=True, slots=True)
class Coverage:
    """The verdict for one origin chain against one set of CAs."""

    status: CoverageStatus
    hostname: str
    #: Why it is not covered or cannot be verified (None when covered).
    reason: str | None = None
    #: The CA of the set that anchors the verified path.
    anchor: x509.Certificate | None = None
    #: The verified path, leaf first, anchor last.
    path: tuple[x509.Certificate, ...] = ()
    #: The first date the path breaks: the earliest notAfter along it.
    breaks_on: dt.datetime | None = None
    #: The certificate whose notAfter that is.
    breaking: x509.Certificate | None = None
    #: Judged against public roots, because the zone keeps no CA of its own.
    public_roots: bool = False
    #: The failure lies in the origin's own certificates (name, validity), whatever CAs the
    #: zone keeps: renewing or reissuing the origin's certificate fixes it, not the trust store.
    origin_side: bool = False

    @property
    def covered(self) -> bool:
        return self.status is CoverageStatus.COVERED

    @property
    def anchor_name(self) -> str | None:
        return None if self.anchor is None else name_of(self.anchor)


@functools.lru_cache(maxsize=1024)
def ca_certificate(pem: str) -> x509.Certificate:
    """A CA's certificate from its canonical PEM (``CertificateFacts.normalized_pem``), parsed
    once however many origins or rules verify against it."""
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def name_of(certificate: x509.Certificate) -> str:
    """The subject as RFC 4514 text, escaped for terminals (names come from outside)."""
    return printable(certificate.subject.rfc4514_string()) or "(empty name)"


def expected_anchor(chain: Sequence[x509.Certificate]) -> str:
    """The name of the CA that should anchor ``chain``: the issuer of its last certificate
    (or that certificate itself, when the server sends its root along)."""
    last = chain[-1]
    return printable(last.issuer.rfc4514_string()) or "(empty name)"


def server_name(hostname: str) -> x509.DNSName | x509.IPAddress:
    """What the verifier matches against: an IP address literal, or a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


def _verifiable_key(certificate: x509.Certificate) -> bool:
    try:
        key = certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return False
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size >= MIN_VERIFIABLE_RSA_BITS
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name in _VERIFIABLE_CURVES
    return isinstance(key, _MLDSA_KEYS)


def _verifiable_signature(certificate: x509.Certificate) -> bool:
    if certificate.signature_algorithm_oid.dotted_string in _MLDSA_SIGNATURES:
        return True
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return False
    return algorithm is not None and algorithm.name in _VERIFIABLE_HASHES


def unverifiable(chain: Sequence[x509.Certificate], cas: Sequence[x509.Certificate]) -> str | None:
    """Why the verifier cannot judge ``chain`` against ``cas``, or None.

    Every signature in the chain, every key that signs one (all but the leaf's) and the keys
    of the CAs that could anchor it (named as an issuer in the chain) must be supported.
    """
    issuers = {certificate.issuer for certificate in chain}
    signers = [*chain[1:], *(ca for ca in cas if ca.subject in issuers)]
    for certificate in chain:
        if not _verifiable_signature(certificate):
            return (
                f"'{name_of(certificate)}' is signed with "
                f"{certificate.signature_algorithm_oid._name}, which the verifier does not support"
            )
    for certificate in signers:
        if not _verifiable_key(certificate):
            return (
                f"'{name_of(certificate)}' has a key type or size the verifier does not support "
                f"(supported: RSA {MIN_VERIFIABLE_RSA_BITS}+ bits, ECDSA P-256/P-384/P-521, "
                "ML-DSA)"
            )
    return None


def _extension_policies() -> tuple[verification.ExtensionPolicy, verification.ExtensionPolicy]:
    agnostic = verification.Criticality.AGNOSTIC
    ca_policy = verification.ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.AuthorityKeyIdentifier, agnostic, None
    )
    ee_policy = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.AuthorityKeyIdentifier, agnostic, None
    )
    return ca_policy, ee_policy


def _verify(
    chain: Sequence[x509.Certificate],
    subject: x509.DNSName | x509.IPAddress,
    store: verification.Store,
    at: dt.datetime,
) -> list[x509.Certificate]:
    ca_policy, ee_policy = _extension_policies()
    verifier = (
        verification.PolicyBuilder()
        .store(store)
        .time(at)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_server_verifier(subject)
    )
    return verifier.verify(chain[0], list(chain[1:]))


def _plain_reason(error: Exception) -> str:
    """The verifier's reason without its Rust-side framing."""
    text = _ENCOUNTERED.sub("", str(error))
    for prefix in ("validation failed: ", "candidates exhausted: "):
        text = text.removeprefix(prefix)
    return printable(text.strip())


def _explain(
    reason: str,
    chain: Sequence[x509.Certificate],
    hostname: str,
    at: dt.datetime,
    cas: Sequence[x509.Certificate],
) -> tuple[str, bool]:
    """A readable reason, and whether it lies in the origin's own certificates."""
    if "subjectAltName" in reason:
        return f"its certificate is not valid for {printable(hostname)} ({reason})", True
    if "not valid at validation time" in reason:
        issuers = {certificate.issuer for certificate in chain}
        anchors = [ca for ca in cas if ca.subject in issuers]
        for certificate, where in (
            *((c, "in its chain") for c in chain),
            *((a, "(the CA that would anchor it)") for a in anchors),
        ):
            if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
                return (
                    f"'{name_of(certificate)}' {where} is valid only from "
                    f"{certificate.not_valid_before_utc.date()} to "
                    f"{certificate.not_valid_after_utc.date()}",
                    certificate not in cas,
                )
    if "exhausted" in reason:
        return f"no CA of the set issued its chain, which names '{expected_anchor(chain)}'", False
    return reason, False


def check_coverage(
    chain: Sequence[x509.Certificate],
    hostname: str,
    cas: Sequence[x509.Certificate],
    *,
    now: dt.datetime,
    min_days_remaining: int,
    public_roots: Sequence[x509.Certificate] = (),
) -> Coverage:
    """Whether ``chain`` (leaf first, as the origin presents it) for ``hostname`` verifies to one
    of ``cas`` now and ``min_days_remaining`` days from now.

    With no ``cas`` the zone falls back to Cloudflare's public trust store: ``public_roots``
    are judged instead (an empty list of them covers nothing).
    """
    use_public = not cas
    judged = list(public_roots if use_public else cas)
    if not chain:
        return Coverage(CoverageStatus.NOT_COVERED, hostname, "the origin presented no certificate")
    try:
        subject = server_name(hostname)
    except ValueError:
        return Coverage(
            CoverageStatus.NOT_COVERED,
            hostname,
            f"{printable(hostname)!r} is not a valid hostname or IP address",
        )
    if not judged:
        return Coverage(
            CoverageStatus.NOT_COVERED,
            hostname,
            "there is no CA to verify it against",
            public_roots=True,
        )
    unsupported = unverifiable(chain, judged)
    if unsupported is not None:
        return Coverage(
            CoverageStatus.CANNOT_VERIFY, hostname, unsupported, public_roots=use_public
        )
    store = verification.Store(judged)
    later = now + min_days_remaining * _ONE_DAY
    path: list[x509.Certificate] = []
    for at in (now, later):
        try:
            verified = _verify(chain, subject, store, at)
        except UnsupportedAlgorithm as error:
            return Coverage(
                CoverageStatus.CANNOT_VERIFY,
                hostname,
                printable(str(error)),
                public_roots=use_public,
            )
        except verification.VerificationError as error:
            reason = _plain_reason(error)
            if any(marker in reason for marker in _UNSUPPORTED_MARKERS):
                return Coverage(
                    CoverageStatus.CANNOT_VERIFY, hostname, reason, public_roots=use_public
                )
            if at is later and path:
                return _breaks_too_soon(hostname, path, min_days_remaining, use_public)
            explained, origin_side = _explain(reason, chain, hostname, at, judged)
            return Coverage(
                CoverageStatus.NOT_COVERED,
                hostname,
                explained,
                public_roots=use_public,
                origin_side=origin_side,
            )
        if at is now:
            path = verified
    breaking = min(path, key=lambda c: c.not_valid_after_utc)
    return Coverage(
        CoverageStatus.COVERED,
        hostname,
        anchor=path[-1],
        path=tuple(path),
        breaks_on=breaking.not_valid_after_utc,
        breaking=breaking,
        public_roots=use_public,
    )


def _breaks_too_soon(
    hostname: str, path: Sequence[x509.Certificate], min_days_remaining: int, public: bool
) -> Coverage:
    breaking = min(path, key=lambda c: c.not_valid_after_utc)
    return Coverage(
        CoverageStatus.NOT_COVERED,
        hostname,
        f"its path to '{name_of(path[-1])}' breaks on {breaking.not_valid_after_utc.date()}, "
        f"when '{name_of(breaking)}' expires: within minDaysRemaining "
        f"({min_days_remaining} days)",
        anchor=path[-1],
        path=tuple(path),
        breaks_on=breaking.not_valid_after_utc,
        breaking=breaking,
        public_roots=public,
        origin_side=breaking is not path[-1],
    )


_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def parse_chain(text: str) -> list[x509.Certificate]:
    """The certificates of a PEM chain, leaf first; ``ValueError`` says what is wrong."""
    if _PRIVATE_KEY.search(text):
        raise ValueError(
            "it holds private key material; a chain is certificates only — remove the key"
        )
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError("no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")
    try:
        return x509.load_pem_x509_certificates(text.encode("utf-8", "replace"))
    except ValueError:
        raise ValueError("it is not a valid PEM certificate chain") from None
