"""Certificates built in code for the tests: every test states the certificate it needs.

Keys are expensive to generate, so one key per key type is made once per process and reused;
certificates are cheap and made fresh per test, with explicit dates relative to a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The clock every test reads: a fixed instant, so boundaries are exact.
NOW = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.UTC)

MLDSAPrivateKey = mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
PrivateKey = (
    rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | MLDSAPrivateKey
)
#: The three FIPS 204 parameter sets, by the name the rules give their keys.
ML_DSA_LEVELS: dict[str, type[MLDSAPrivateKey]] = {
    "ML-DSA-44": mldsa.MLDSA44PrivateKey,
    "ML-DSA-65": mldsa.MLDSA65PrivateKey,
    "ML-DSA-87": mldsa.MLDSA87PrivateKey,
}


@functools.cache
def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(curve_name: str = "secp256r1") -> ec.EllipticCurvePrivateKey:
    curves: dict[str, ec.EllipticCurve] = {
        "secp256r1": ec.SECP256R1(),
        "secp384r1": ec.SECP384R1(),
        "secp521r1": ec.SECP521R1(),
        "secp256k1": ec.SECP256K1(),
        "secp224r1": ec.SECP224R1(),
    }
    return ec.generate_private_key(curves[curve_name])


@functools.cache
def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@functools.cache
def mldsa_key(level: str = "ML-DSA-65") -> MLDSAPrivateKey:
    """A post-quantum key: ``level`` is ML-DSA-44, ML-DSA-65 or ML-DSA-87."""
    return ML_DSA_LEVELS[level].generate()


def name(common_name: str, org: str = "Example Origin") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class Issued:
    """A certificate with the key that signed it and the key it certifies."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


@dataclass
class CertSpec:
    """What to put in a certificate; defaults give a healthy self-signed RSA root CA."""

    common_name: str = "Example Origin Root CA"
    not_before: dt.datetime = field(default_factory=lambda: NOW - dt.timedelta(days=365))
    not_after: dt.datetime = field(default_factory=lambda: NOW + dt.timedelta(days=3650))
    key: PrivateKey | None = None
    is_ca: bool = True
    basic_constraints: bool = True
    key_cert_sign: bool = True
    hash_algorithm: hashes.HashAlgorithm | None = field(default_factory=hashes.SHA256)
    issuer: Issued | None = None  # None: self-signed
    serial: int | None = None
    #: Subject alternative names: DNS names, or IP addresses written as text ("127.0.0.1").
    dns_names: tuple[str, ...] = ()
    #: Subject and authority key identifiers, as real CAs issue them (the verifier links by them).
    key_identifiers: bool = False


def build(spec: CertSpec | None = None, **overrides: object) -> Issued:
    """Build a certificate from ``spec`` (or the defaults) with keyword ``overrides``."""
    spec = spec or CertSpec()
    for key, value in overrides.items():
        if not hasattr(spec, key):
            raise TypeError(f"CertSpec has no field {key!r}")
        setattr(spec, key, value)
    key = spec.key or rsa_key()
    subject = name(spec.common_name)
    issuer_name = spec.issuer.cert.subject if spec.issuer else subject
    signing_key = spec.issuer.key if spec.issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(spec.serial or x509.random_serial_number())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
    )
    if spec.basic_constraints:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=spec.is_ca, path_length=None), critical=True
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=not spec.is_ca,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=spec.key_cert_sign and spec.is_ca,
            crl_sign=spec.is_ca,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if spec.key_identifiers:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    if spec.dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(text) for text in spec.dns_names]),
            critical=False,
        )
        if not spec.is_ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
    # EdDSA and ML-DSA sign the message itself: no separate hash algorithm.
    pure = isinstance(signing_key, ed25519.Ed25519PrivateKey | MLDSAPrivateKey)
    algorithm = None if pure else spec.hash_algorithm
    cert = builder.sign(signing_key, algorithm)  # type: ignore[arg-type]
    return Issued(cert=cert, key=key)


def _general_name(text: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def root_ca(common_name: str = "Example Origin Root CA", **overrides: object) -> Issued:
    return build(CertSpec(common_name=common_name), **overrides)


def mldsa_root(
    level: str = "ML-DSA-65", common_name: str | None = None, **overrides: object
) -> Issued:
    """A healthy self-signed post-quantum root CA (FIPS 204 parameter set ``level``)."""
    spec = CertSpec(common_name=common_name or f"Example {level} Root CA", key=mldsa_key(level))
    return build(spec, **overrides)


def expiring_in(delta: dt.timedelta, common_name: str = "Expiring Root CA") -> Issued:
    """A healthy root CA whose notAfter is ``NOW + delta``."""
    return build(CertSpec(common_name=common_name, not_after=NOW + delta))


def intermediate_ca(root: Issued, common_name: str = "Example Intermediate CA") -> Issued:
    return build(CertSpec(common_name=common_name, issuer=root, key=ec_key("secp384r1")))


def leaf(issuer: Issued, common_name: str = "origin.example.com") -> Issued:
    return build(
        CertSpec(common_name=common_name, issuer=issuer, is_ca=False, key=ec_key("secp256r1"))
    )


# --- origin chains: what an origin server presents (leaf first), as a real CA issues them ------


def origin_root(common_name: str = "Corp Root 2024", **overrides: object) -> Issued:
    """A root CA with key identifiers, as CAs that issue origin certificates make them."""
    return build(CertSpec(common_name=common_name, key_identifiers=True), **overrides)


def origin_intermediate(
    root: Issued, common_name: str = "Corp Issuing CA", **overrides: object
) -> Issued:
    spec = CertSpec(common_name=common_name, issuer=root, key=ec_key("secp384r1"))
    spec.key_identifiers = True
    return build(spec, **overrides)


def origin_leaf(
    issuer: Issued, *hostnames: str, common_name: str | None = None, **overrides: object
) -> Issued:
    """A server certificate for ``hostnames`` (default origin.example.com), valid 90 days."""
    names = hostnames or ("origin.example.com",)
    spec = CertSpec(
        common_name=common_name or names[0],
        issuer=issuer,
        is_ca=False,
        key=ec_key("secp256r1"),
        not_before=NOW - dt.timedelta(days=1),
        not_after=NOW + dt.timedelta(days=90),
        dns_names=tuple(names),
        key_identifiers=True,
    )
    return build(spec, **overrides)


def chain_pem(*certificates: Issued) -> str:
    """The PEM bundle a server presents: leaf first, then intermediates."""
    return "".join(certificate.pem for certificate in certificates)
