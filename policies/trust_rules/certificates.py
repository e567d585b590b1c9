"""Parse a certificate input once and derive every fact the rules need from it.

Pure functions: no clock, no I/O. Time-dependent judgements live in the rule modules, which take
``now`` as an argument.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    mldsa,
    padding,
    rsa,
)
from cryptography.x509.oid import NameOID

from .errors import (
    CertificateBundleError,
    EmptyCertificateError,
    NonPositiveSerialError,
    NotTextError,
    PrivateKeyMaterialError,
    UnparseableCertificateError,
)
from .printable import printable

#: Hex characters kept at each end of a shortened fingerprint ("3f2a…9c1b").
SHORT_FINGERPRINT_CHARS = 4
#: Distinct certificate texts whose facts are remembered (a trust store holds a few dozen).
FACTS_CACHE_SIZE = 1024

CERTIFICATE_LABEL = "CERTIFICATE"
#: Post-quantum signature keys (FIPS 204), by the name ``key_type`` gives them.
ML_DSA_KEY_TYPES = frozenset({"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"})
_MLDSAPublicKey = mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
_ML_DSA_KEYS: tuple[tuple[type, str], ...] = (
    (mldsa.MLDSA44PublicKey, "ML-DSA-44"),
    (mldsa.MLDSA65PublicKey, "ML-DSA-65"),
    (mldsa.MLDSA87PublicKey, "ML-DSA-87"),
)
#: NIST curve names for the curves the CA/B Forum allows, as people write them.
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
PRIVATE_KEY_MESSAGE = "private key material found — remove it; never upload or commit private keys"

# Any "-----BEGIN ... PRIVATE KEY-----": PKCS#8, encrypted PKCS#8, PKCS#1 RSA, SEC1 EC, DSA,
# OpenSSH. Searched in the raw text before any parsing so a key is refused even in a broken file.
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_BEGIN_RE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_BEGIN_CERTIFICATE = f"-----BEGIN {CERTIFICATE_LABEL}-----"
_END_CERTIFICATE = f"-----END {CERTIFICATE_LABEL}-----"
_Extension = TypeVar("_Extension", bound=x509.ExtensionType)
_SEQUENCE_TAG = 0x30
_PEM_LINE = 64
#: A DER certificate in base64 starts so (SEQUENCE, long length): "MII…" or "MIJ…".
_BASE64_DER_START = re.compile(r"\s*MI[IJ][A-Za-z0-9+/]{20}")
DER_ADVICE = (
    "convert it to PEM (openssl x509 -inform der -in ca.der -out ca.pem), or name the file in"
    " the stack's certificates or certificatesDir, which read DER files and convert them"
)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What the trust-store rules need to know about one certificate, computed once."""

    subject: str
    display_name: str
    issuer: str
    issuer_display_name: str
    sha256_fingerprint: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    has_basic_constraints: bool
    is_ca: bool
    basic_constraints_critical: bool
    has_key_usage: bool
    key_cert_sign: bool
    is_self_issued: bool
    self_signature_verifies: bool
    key_type: str
    key_bits: int
    ec_curve: str | None
    signature_hash: str | None
    normalized_pem: str

    @property
    def lifetime(self) -> dt.timedelta:
        return self.not_after - self.not_before

    @property
    def short_fingerprint(self) -> str:
        return shorten(self.sha256_fingerprint, SHORT_FINGERPRINT_CHARS)

    @property
    def is_post_quantum(self) -> bool:
        """An ML-DSA key: the CA cannot be forged by a quantum computer (FIPS 204)."""
        return self.key_type in ML_DSA_KEY_TYPES

    @property
    def key_description(self) -> str:
        """``RSA 2048``, ``EC P-256``, ``ML-DSA-65``, ``Ed25519``: the key as people name it."""
        return describe_key(self.key_type, self.key_bits, self.ec_curve)


def describe_key(key_type: str, key_bits: int, ec_curve: str | None) -> str:
    """How messages and outputs name a key (see ``CertificateFacts.key_description``)."""
    if key_type in {"RSA", "DSA"}:
        return f"{key_type} {key_bits}"
    if key_type == "EC":
        return f"EC {_CURVE_NAMES.get(ec_curve or '', ec_curve or 'unknown curve')}"
    return key_type


def shorten(text: str, keep: int = SHORT_FINGERPRINT_CHARS) -> str:
    """Keep ``keep`` characters at each end: enough to recognise, short enough to read."""
    if len(text) <= 2 * keep + 1:
        return text
    return f"{text[:keep]}…{text[-keep:]}"


def parse_certificate_input(text: object) -> x509.Certificate:
    """Parse the one PEM certificate in ``text``; raise a ``CertificateInputError`` otherwise."""
    return _parse_certificate_and_der(text)[0]


def _parse_certificate_and_der(text: object) -> tuple[x509.Certificate, bytes]:
    """``parse_certificate_input``, also giving the DER it decoded: the facts hash it and armour
    it themselves, which is cheaper than asking the parsed certificate for its bytes again."""
    if text is None:
        raise EmptyCertificateError("certificate is missing")
    if isinstance(text, bytes | bytearray):
        raise NotTextError(
            f"certificate must be PEM text, got {type(text).__name__} (DER bytes?); {DER_ADVICE}"
        )
    if not isinstance(text, str):
        raise NotTextError(f"certificate must be PEM text, got {type(text).__name__}")
    if not text.strip():
        raise EmptyCertificateError("certificate is empty")
    if _PRIVATE_KEY_RE.search(text):
        raise PrivateKeyMaterialError(PRIVATE_KEY_MESSAGE)
    labels = _PEM_BEGIN_RE.findall(text)
    others = sorted({label for label in labels if label != CERTIFICATE_LABEL})
    if others:
        raise UnparseableCertificateError(
            f"unexpected PEM block {', '.join(others)}; expected exactly one CERTIFICATE block"
        )
    if not labels:
        raise UnparseableCertificateError(_no_pem_block(text))
    if len(labels) > 1:
        raise CertificateBundleError(
            f"found {len(labels)} certificates; each entry takes exactly one root CA "
            "certificate — split the bundle into one resource per CA"
        )
    body_start = text.index(_BEGIN_CERTIFICATE) + len(_BEGIN_CERTIFICATE)
    body_end = text.find(_END_CERTIFICATE, body_start)
    if body_end < 0:
        raise UnparseableCertificateError("certificate block has no -----END CERTIFICATE----- line")
    body = "".join(text[body_start:body_end].split())
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnparseableCertificateError("certificate block is not valid base64") from exc
    if not _serial_is_positive(der):
        raise NonPositiveSerialError(
            "certificate has a serial number that is not positive (negative or zero), which"
            " RFC 5280 forbids; reissue the CA with a positive serial number"
        )
    try:
        return x509.load_der_x509_certificate(der), der
    except ValueError as exc:
        raise UnparseableCertificateError(
            "certificate block is not a valid DER X.509 certificate"
        ) from exc


def _no_pem_block(text: str) -> str:
    """Why ``text`` has no PEM block, recognising DER pasted as text (binary or base64)."""
    if text.startswith("0") and is_der_framed(text.encode("latin-1", "replace")):
        return f"no PEM certificate block found: this is binary DER, not PEM text; {DER_ADVICE}"
    if _BASE64_DER_START.match(text):
        return (
            "no PEM certificate block found: this looks like a base64 DER certificate without"
            " its -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines; add them"
            " (that is all PEM adds to it)"
        )
    return "no PEM certificate block found (expected -----BEGIN CERTIFICATE-----)"


def _der_header(der: bytes, at: int) -> tuple[int, int, int] | None:
    """(tag, start of content, length) of the DER element at ``at``; None if malformed."""
    if at + 2 > len(der):
        return None
    tag, first = der[at], der[at + 1]
    if first < 0x80:
        return tag, at + 2, first
    count = first & 0x7F
    if not 1 <= count <= 4 or at + 2 + count > len(der):
        return None
    return tag, at + 2 + count, int.from_bytes(der[at + 2 : at + 2 + count], "big")


def _tbs_elements(der: bytes, count: int) -> list[tuple[int, int, int, int]]:
    """The first ``count`` elements of the TBSCertificate after its optional [0] version, as
    (tag, start of element, start of content, end); fewer when the DER is malformed or short."""
    certificate = _der_header(der, 0)
    tbs = _der_header(der, certificate[1]) if certificate and certificate[0] == 0x30 else None
    if tbs is None or tbs[0] != 0x30:
        return []
    elements: list[tuple[int, int, int, int]] = []
    at = tbs[1]
    while len(elements) < count:
        element = _der_header(der, at)
        if element is None or element[1] + element[2] > len(der):
            break
        tag, content, end = element[0], element[1], element[1] + element[2]
        if not (at == tbs[1] and tag == 0xA0):  # skip the [0] EXPLICIT version
            elements.append((tag, at, content, end))
        at = end
    return elements


def _serial_is_positive(der: bytes) -> bool:
    """Whether the TBSCertificate's serial INTEGER is above zero, read from the DER itself so
    cryptography never parses a bad one (it warns, with its source paths, on serials that are
    negative or zero). Malformed DER answers True: the parser then refuses it properly."""
    elements = _tbs_elements(der, 1)
    if not elements or elements[0][0] != 0x02:
        return True
    _, _, content_start, end = elements[0]
    content = der[content_start:end]
    return bool(content) and content[0] < 0x80 and any(content)


def _same_issuer_and_subject_der(der: bytes) -> bool:
    """Whether the issuer and subject Names are the same bytes (then they are the same name;
    different bytes may still be equal names, which the caller checks the slow way)."""
    elements = _tbs_elements(der, 5)  # serial, signature, issuer, validity, subject
    if len(elements) < 5:
        return False
    (_, issuer_start, _, issuer_end), (_, subject_start, _, subject_end) = elements[2], elements[4]
    return der[issuer_start:issuer_end] == der[subject_start:subject_end]


def canonical_pem(certificate: x509.Certificate) -> str:
    """The PEM Cloudflare stores and returns: 64-column base64, one trailing newline."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _pem_armour(der: bytes) -> str:
    """``canonical_pem`` of the certificate whose DER this is, without a round trip through
    the parsed certificate (the same bytes: 64-column base64 between the two lines)."""
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join([body[i : i + _PEM_LINE] for i in range(0, len(body), _PEM_LINE)])
    return f"{_BEGIN_CERTIFICATE}\n{lines}\n{_END_CERTIFICATE}\n"


def is_der_framed(data: bytes) -> bool:
    """Whether ``data`` is exactly one DER SEQUENCE, as a binary ``.der``/``.cer``/``.crt``
    certificate file is (PEM text never is: its outer length would have to match by chance)."""
    header = _der_header(data, 0)
    return header is not None and header[0] == _SEQUENCE_TAG and header[1] + header[2] == len(data)


def pem_from_der(data: bytes) -> str:
    """PEM armour around a DER certificate file's bytes, for every rule to read as PEM.

    The bytes are not judged here: the one parser (``parse_certificate_input``) does that, as
    for a PEM file. A DER private key is refused here, since the armour would hide what it is.
    """
    if _is_der_private_key(data):
        raise PrivateKeyMaterialError(PRIVATE_KEY_MESSAGE)
    return _pem_armour(data)


def _is_der_private_key(data: bytes) -> bool:
    try:
        serialization.load_der_private_key(data, password=None)
    except TypeError:
        return True  # encrypted: a key all the same
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def normalize_pem(text: str) -> str:
    """Canonical PEM of the single certificate in ``text`` (whitespace and CRLF do not matter)."""
    return canonical_pem(parse_certificate_input(text))


def certificate_facts(certificate: x509.Certificate, der: bytes | None = None) -> CertificateFacts:
    """Every fact the rules use, derived from one parsed certificate (and its DER, if known).

    Each accessor of the certificate builds fresh Python objects, so each is read once here,
    and what the DER answers directly (fingerprint, PEM, a self-issued name) is taken from it:
    this function is the hot path when a whole trust store is checked.
    """
    if der is None:
        der = certificate.public_bytes(serialization.Encoding.DER)
    public_key = certificate.public_key()
    key_type, key_bits, ec_curve = _describe_key(public_key)
    extensions = certificate.extensions
    basic = _extension(extensions, x509.BasicConstraints)
    key_usage = _extension(extensions, x509.KeyUsage)
    subject = certificate.subject
    subject_text, subject_display = printable(subject.rfc4514_string()), _display_name(subject)
    if _same_issuer_and_subject_der(der):
        self_issued, issuer_text, issuer_display = True, subject_text, subject_display
    else:
        issuer = certificate.issuer
        self_issued = issuer == subject
        issuer_text = subject_text if self_issued else printable(issuer.rfc4514_string())
        issuer_display = subject_display if self_issued else _display_name(issuer)
    return CertificateFacts(
        subject=subject_text,
        display_name=subject_display,
        issuer=issuer_text,
        issuer_display_name=issuer_display,
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
        serial=certificate.serial_number,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        has_basic_constraints=basic is not None,
        is_ca=basic is not None and basic.value.ca,
        basic_constraints_critical=basic is not None and basic.critical,
        has_key_usage=key_usage is not None,
        key_cert_sign=key_usage is not None and key_usage.value.key_cert_sign,
        is_self_issued=self_issued,
        self_signature_verifies=self_issued and _signed_by_own_key(certificate, public_key),
        key_type=key_type,
        key_bits=key_bits,
        ec_curve=ec_curve,
        signature_hash=_signature_hash_name(certificate),
        normalized_pem=_pem_armour(der),
    )


def facts_from_text(text: object) -> CertificateFacts:
    """Parse ``text`` and derive its facts; raises ``CertificateInputError`` like the parser.

    Results are remembered per input text: the pack evaluates every policy separately on the
    same certificate, and signature verification dominates the cost. Refusals are not cached.
    """
    if isinstance(text, str):
        return _facts_of_pem(text)
    return certificate_facts(*_parse_certificate_and_der(text))


@functools.lru_cache(maxsize=FACTS_CACHE_SIZE)
def _facts_of_pem(text: str) -> CertificateFacts:
    return certificate_facts(*_parse_certificate_and_der(text))


def forget_cached_facts() -> None:
    """Empty the facts cache (benchmarks measure the uncached cost)."""
    _facts_of_pem.cache_clear()


def _extension(
    extensions: x509.Extensions, kind: type[_Extension]
) -> x509.Extension[_Extension] | None:
    try:
        return extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _display_name(name: x509.Name) -> str:
    """The name's CN (or whole name), escaped: names reach terminals (see ``printable``)."""
    common_names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common_names:
        value = common_names[0].value
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        return printable(text)
    return printable(name.rfc4514_string()) or "(empty name)"


def _describe_key(public_key: object) -> tuple[str, int, str | None]:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size, None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC", public_key.curve.key_size, public_key.curve.name
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size, None
    if isinstance(public_key, _MLDSAPublicKey):
        key_type = next(name for kind, name in _ML_DSA_KEYS if isinstance(public_key, kind))
        return key_type, 8 * len(public_key.public_bytes_raw()), None
    return type(public_key).__name__, 0, None


def _signature_hash_name(certificate: x509.Certificate) -> str | None:
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return f"unsupported ({certificate.signature_algorithm_oid.dotted_string})"
    return algorithm.name if algorithm is not None else None


def _signed_by_own_key(certificate: x509.Certificate, public_key: object) -> bool:
    """Whether the signature verifies with the certificate's own key.

    ``verify_directly_issued_by`` is the fast path (all in Rust); it refuses some legacy
    algorithms, so those are verified by hand with the parameters the certificate names.
    """
    try:
        certificate.verify_directly_issued_by(certificate)
        return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return _verify_by_hand(certificate, public_key)


def _verify_by_hand(certificate: x509.Certificate, public_key: object) -> bool:
    signature, data = certificate.signature, certificate.tbs_certificate_bytes
    try:
        algorithm = certificate.signature_hash_algorithm
        if isinstance(public_key, rsa.RSAPublicKey) and algorithm is not None:
            # Legacy RSA algorithms (MD5) report no parameters: they are PKCS#1 v1.5.
            pad = certificate.signature_algorithm_parameters or padding.PKCS1v15()
            if not isinstance(pad, padding.PKCS1v15 | padding.PSS):
                return False
            public_key.verify(signature, data, pad, algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and algorithm is not None:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        elif isinstance(public_key, dsa.DSAPublicKey) and algorithm is not None:
            public_key.verify(signature, data, algorithm)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True
