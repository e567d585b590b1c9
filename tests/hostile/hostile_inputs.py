"""Certificates and texts built to attack the checks: shared by the CLI and provider cases."""

from __future__ import annotations

import base64
import textwrap

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from scripts.certs import ec_key, leaf, root_ca

#: Characters that would drive or fool a terminal if printed raw.
TERMINAL_ATTACKS = {
    "clear screen": "\x1b[2J\x1b[H",
    "window title": "\x1b]0;pwned\x07",
    "C1 CSI": "\x9b31m",
    "bidi override": "\u202egnp.exe",
    "carriage return": "fake ok\r",
    "backspaces": "\x08\x08\x08",
    "NUL": "a\x00b",
}


def pem_of(der: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def negative_serial_pem() -> str:
    """A root CA whose serial INTEGER is negative (RFC 5280 forbids it).

    The builder refuses negative serials, so a positive one encoded in 20 bytes with a
    leading zero (00 80 ...) is turned into 80 80 ... in the DER: same length, negative.
    """
    serial = 0x80 << (8 * 18)
    der = bytearray(
        root_ca("Negative Serial Root", serial=serial).cert.public_bytes(serialization.Encoding.DER)
    )
    marker = bytes([0x02, 20, 0x00, 0x80])
    at = der.index(marker)
    der[at + 2] = 0x80
    return pem_of(bytes(der))


def named_leaf_pem(common_name: str) -> str:
    """A leaf (not a CA: refused, its subject quoted) with ``common_name``."""
    return leaf(root_ca("Issuing Root"), common_name=common_name).pem


def big_root_pem(size: int) -> str:
    """A real, well-formed root CA about ``size`` bytes long in PEM (one huge extension)."""
    padding = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x00" * (size * 3 // 4)
    )
    key = ec_key()
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Big Root")])
    base = root_ca("Big Root").cert
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(base.not_valid_before_utc)
        .not_valid_after(base.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(padding, critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def private_key_pems() -> dict[str, str]:
    """The private-key encodings a user might paste, each a separate case."""
    rsa_key = root_ca("Key Root").key
    ec = ec_key()
    formats = {
        "PKCS#8": (rsa_key, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        "PKCS#1 RSA": (
            rsa_key,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "SEC1 EC": (
            ec,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "OpenSSH": (ec, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()),
        "encrypted PKCS#8": (
            rsa_key,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        ),
    }
    return {
        name: key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()  # type: ignore[union-attr]
        for name, (key, fmt, encryption) in formats.items()
    }


def zero_serial_pem() -> str:
    """A root CA whose serial is zero (RFC 5280: serials are positive)."""
    der = bytearray(
        root_ca("Zero Serial Root", serial=1).cert.public_bytes(serialization.Encoding.DER)
    )
    marker = bytes([0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01])  # version v3, serial 1
    der[der.index(marker) + 7] = 0x00
    return pem_of(bytes(der))
