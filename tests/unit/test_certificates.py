"""Certificate facts: parsing the input, normalising PEM, and what a certificate says of itself."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from policies.trust_rules.certificates import (
    PRIVATE_KEY_MESSAGE,
    canonical_pem,
    certificate_facts,
    facts_from_text,
    normalize_pem,
    parse_certificate_input,
    shorten,
)
from policies.trust_rules.errors import (
    CertificateBundleError,
    CertificateInputError,
    EmptyCertificateError,
    NotTextError,
    PrivateKeyMaterialError,
    UnparseableCertificateError,
)
from scripts.certs import (
    NOW,
    CertSpec,
    build,
    ec_key,
    ed25519_key,
    intermediate_ca,
    leaf,
    root_ca,
    rsa_key,
)
from tests.certs_legacy import legacy_signed

# --- parse_certificate_input: what is refused, and how -------------------------------------


@pytest.mark.parametrize("value", [b"-----BEGIN CERTIFICATE-----", 42, ["pem"]])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(NotTextError, match="PEM text"):
        parse_certificate_input(value)


@pytest.mark.parametrize("value", ["", "   \n\t\r\n", None])
def test_empty_or_missing_is_refused(value: object) -> None:
    with pytest.raises(EmptyCertificateError):
        parse_certificate_input(value)


def test_text_without_certificate_block_is_unparseable() -> None:
    with pytest.raises(UnparseableCertificateError, match="no PEM certificate block"):
        parse_certificate_input("hello, I am not a certificate")


def test_bad_base64_is_unparseable() -> None:
    text = "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n"
    with pytest.raises(UnparseableCertificateError, match="base64"):
        parse_certificate_input(text)


def test_bad_der_is_unparseable() -> None:
    body = base64.b64encode(b"\x30\x03\x02\x01\x01 definitely not x509").decode()
    text = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    with pytest.raises(UnparseableCertificateError, match="DER"):
        parse_certificate_input(text)


def test_truncated_block_is_unparseable() -> None:
    text = root_ca().pem.replace("-----END CERTIFICATE-----", "")
    with pytest.raises(UnparseableCertificateError, match="END CERTIFICATE"):
        parse_certificate_input(text)


def test_other_pem_block_is_unparseable() -> None:
    public = (
        rsa_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(UnparseableCertificateError, match="PUBLIC KEY"):
        parse_certificate_input(root_ca().pem + public.decode())


def test_bundle_of_two_is_refused() -> None:
    root = root_ca()
    with pytest.raises(CertificateBundleError, match="found 2 certificates"):
        parse_certificate_input(root.pem + intermediate_ca(root).pem)


def _private_keys() -> dict[str, str]:
    rsa, ec_private = rsa_key(), ec_key("secp256r1")

    def pem(key: object, fmt: serialization.PrivateFormat, enc: object = None) -> str:
        algorithm = enc or serialization.NoEncryption()
        return key.private_bytes(serialization.Encoding.PEM, fmt, algorithm).decode()  # type: ignore[attr-defined]

    return {
        "pkcs8": pem(rsa, serialization.PrivateFormat.PKCS8),
        "rsa-pkcs1": pem(rsa, serialization.PrivateFormat.TraditionalOpenSSL),
        "ec-sec1": pem(ec_private, serialization.PrivateFormat.TraditionalOpenSSL),
        "encrypted-pkcs8": pem(
            ec_private,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        ),
        "openssh": pem(ed25519_key(), serialization.PrivateFormat.OpenSSH),
    }


PRIVATE_KEY_KINDS = ["pkcs8", "rsa-pkcs1", "ec-sec1", "encrypted-pkcs8", "openssh"]
PRIVATE_KEY_LABELS = {
    "pkcs8": "-----BEGIN PRIVATE KEY-----",
    "rsa-pkcs1": "-----BEGIN RSA PRIVATE KEY-----",
    "ec-sec1": "-----BEGIN EC PRIVATE KEY-----",
    "encrypted-pkcs8": "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "openssh": "-----BEGIN OPENSSH PRIVATE KEY-----",
}


def key_body_lines(key_pem: str) -> list[str]:
    return [line for line in key_pem.splitlines() if line and not line.startswith("-----")]


@pytest.mark.parametrize("kind", PRIVATE_KEY_KINDS)
@pytest.mark.parametrize("with_certificate", [False, True], ids=["key-alone", "cert-plus-key"])
def test_private_key_material_is_refused_without_quoting_it(
    kind: str, with_certificate: bool
) -> None:
    key_pem = _private_keys()[kind]
    assert PRIVATE_KEY_LABELS[kind] in key_pem
    text = (root_ca().pem + key_pem) if with_certificate else key_pem
    with pytest.raises(PrivateKeyMaterialError) as caught:
        parse_certificate_input(text)
    message = str(caught.value)
    assert message == PRIVATE_KEY_MESSAGE
    assert "never upload or commit private keys" in message
    for line in key_body_lines(key_pem):
        assert line not in message
    assert caught.value.__cause__ is None


def test_private_key_is_refused_even_inside_broken_text() -> None:
    key_pem = _private_keys()["pkcs8"]
    with pytest.raises(PrivateKeyMaterialError):
        parse_certificate_input("garbage\n" + key_pem[:200])


def test_every_refusal_is_a_certificate_input_error_and_a_value_error() -> None:
    for cls in (
        NotTextError,
        EmptyCertificateError,
        PrivateKeyMaterialError,
        CertificateBundleError,
        UnparseableCertificateError,
    ):
        assert issubclass(cls, CertificateInputError)
        assert issubclass(cls, ValueError)


# --- normalize_pem: what Cloudflare gives back ---------------------------------------------


def test_normalize_pem_is_canonical_with_one_trailing_newline() -> None:
    pem = root_ca().pem
    messy = "\r\n  " + pem.strip().replace("\n", "\r\n") + "\r\n\r\n\n"
    assert normalize_pem(messy) == pem
    assert normalize_pem(pem.rstrip("\n")) == pem
    assert normalize_pem(pem).endswith("-----END CERTIFICATE-----\n")
    assert not normalize_pem(pem).endswith("\n\n")


def test_normalize_pem_rewraps_one_long_base64_line() -> None:
    pem = root_ca().pem
    lines = pem.strip().splitlines()
    one_line = f"{lines[0]}\n{''.join(lines[1:-1])}\n{lines[-1]}"
    assert normalize_pem(one_line) == pem


def test_normalize_pem_ignores_text_around_the_block() -> None:
    pem = root_ca().pem
    assert normalize_pem("subject=CN = Example\nissuer=CN = Example\n" + pem) == pem


def test_normalize_pem_refuses_what_the_parser_refuses() -> None:
    with pytest.raises(CertificateBundleError):
        normalize_pem(root_ca().pem * 2)


# --- certificate_facts ----------------------------------------------------------------------


def test_facts_of_a_healthy_rsa_root() -> None:
    issued = root_ca("Example Root", serial=4242)
    facts = facts_from_text(issued.pem)
    fingerprint = issued.cert.fingerprint(hashes.SHA256()).hex()
    assert facts.subject == "CN=Example Root,O=Example Origin"
    assert facts.display_name == "Example Root"
    assert facts.issuer == facts.subject
    assert facts.issuer_display_name == "Example Root"
    assert facts.sha256_fingerprint == fingerprint
    assert facts.short_fingerprint == f"{fingerprint[:4]}…{fingerprint[-4:]}"
    assert facts.serial == 4242
    assert facts.not_before == NOW - dt.timedelta(days=365)
    assert facts.not_after == NOW + dt.timedelta(days=3650)
    assert facts.not_after.tzinfo is not None
    assert facts.lifetime == dt.timedelta(days=4015)
    assert facts.is_ca
    assert facts.has_basic_constraints
    assert facts.basic_constraints_critical
    assert facts.has_key_usage
    assert facts.key_cert_sign
    assert facts.is_self_issued
    assert facts.self_signature_verifies
    assert (facts.key_type, facts.key_bits, facts.ec_curve) == ("RSA", 2048, None)
    assert facts.signature_hash == "sha256"
    assert facts.normalized_pem == issued.pem


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (lambda: rsa_key(1024), ("RSA", 1024, None)),
        (lambda: rsa_key(2048), ("RSA", 2048, None)),
        (lambda: rsa_key(4096), ("RSA", 4096, None)),
        (lambda: ec_key("secp256r1"), ("EC", 256, "secp256r1")),
        (lambda: ec_key("secp384r1"), ("EC", 384, "secp384r1")),
        (lambda: ec_key("secp521r1"), ("EC", 521, "secp521r1")),
        (lambda: ec_key("secp256k1"), ("EC", 256, "secp256k1")),
        (lambda: ec_key("secp224r1"), ("EC", 224, "secp224r1")),
        (ed25519_key, ("Ed25519", 256, None)),
    ],
    ids=["rsa1024", "rsa2048", "rsa4096", "p256", "p384", "p521", "secp256k1", "p224", "ed25519"],
)
def test_key_type_and_size_and_self_signature(key: object, expected: tuple[object, ...]) -> None:
    facts = facts_from_text(root_ca(key=key()).pem)  # type: ignore[operator]
    assert (facts.key_type, facts.key_bits, facts.ec_curve) == expected
    assert facts.self_signature_verifies


def test_ed448_root_is_described_and_verifies() -> None:
    key = ed448.Ed448PrivateKey.generate()
    facts = facts_from_text(build(CertSpec(), key=key, hash_algorithm=None).pem)  # type: ignore[arg-type]
    assert facts.key_type == "Ed448"
    assert facts.signature_hash is None
    assert facts.self_signature_verifies


@pytest.mark.parametrize(
    ("algorithm", "name"),
    [(hashes.SHA256(), "sha256"), (hashes.SHA384(), "sha384"), (hashes.SHA512(), "sha512")],
)
@pytest.mark.parametrize(
    "key", [lambda: rsa_key(2048), lambda: ec_key("secp384r1")], ids=["rsa", "ec"]
)
def test_modern_signature_hashes(algorithm: hashes.HashAlgorithm, name: str, key: object) -> None:
    facts = facts_from_text(root_ca(key=key(), hash_algorithm=algorithm).pem)  # type: ignore[operator]
    assert facts.signature_hash == name
    assert facts.self_signature_verifies


def test_ed25519_has_no_signature_hash() -> None:
    assert facts_from_text(root_ca(key=ed25519_key()).pem).signature_hash is None


@pytest.mark.parametrize("legacy", ["sha1", "md5"])
def test_legacy_signatures_are_recognised_and_really_verify(legacy: str) -> None:
    facts = facts_from_text(legacy_signed(legacy).pem)
    assert facts.signature_hash == legacy
    assert facts.is_self_issued
    assert facts.self_signature_verifies


def test_legacy_signature_with_a_wrong_key_does_not_verify() -> None:
    impostor = root_ca("Legacy Root", key=rsa_key(3072))
    forged = legacy_signed("sha1", CertSpec(common_name="Legacy Root", issuer=impostor))
    facts = facts_from_text(forged.pem)
    assert facts.is_self_issued
    assert not facts.self_signature_verifies


def test_self_issued_certificate_signed_by_another_key_does_not_verify() -> None:
    impostor = root_ca("Lookalike Root", key=ec_key("secp384r1"))
    forged = build(CertSpec(common_name="Lookalike Root", issuer=impostor))
    facts = facts_from_text(forged.pem)
    assert facts.is_self_issued
    assert not facts.self_signature_verifies


def test_leaf_and_intermediate_are_not_self_issued() -> None:
    root = root_ca("Chain Root")
    intermediate = facts_from_text(intermediate_ca(root, "Chain Intermediate").pem)
    end_entity = facts_from_text(leaf(root).pem)
    assert intermediate.is_ca
    assert not intermediate.is_self_issued
    assert intermediate.issuer_display_name == "Chain Root"
    assert not intermediate.self_signature_verifies
    assert not end_entity.is_ca
    assert not end_entity.is_self_issued
    assert not end_entity.key_cert_sign


def test_root_looking_certificate_with_ca_false() -> None:
    facts = facts_from_text(root_ca(is_ca=False).pem)
    assert facts.is_self_issued
    assert facts.self_signature_verifies
    assert facts.has_basic_constraints
    assert not facts.is_ca


def test_certificate_without_basic_constraints() -> None:
    facts = facts_from_text(root_ca(basic_constraints=False).pem)
    assert not facts.has_basic_constraints
    assert not facts.is_ca
    assert not facts.basic_constraints_critical


def test_ca_without_key_cert_sign() -> None:
    facts = facts_from_text(root_ca(key_cert_sign=False).pem)
    assert facts.is_ca
    assert facts.has_key_usage
    assert not facts.key_cert_sign


def test_facts_from_parsed_certificate_match_facts_from_text() -> None:
    issued = root_ca(key=ec_key("secp256r1"))
    assert certificate_facts(parse_certificate_input(issued.pem)) == facts_from_text(issued.pem)
    assert canonical_pem(issued.cert) == issued.pem


def test_display_name_falls_back_to_the_full_name_without_cn() -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec_key("secp256r1")
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "No CN Org")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    facts = certificate_facts(cert)
    assert facts.display_name == "O=No CN Org"
    assert not facts.has_basic_constraints
    assert not facts.has_key_usage


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0123456789abcdef", "0123…cdef"), ("abcdefghi", "abcdefghi"), ("", "")],
)
def test_shorten(text: str, expected: str) -> None:
    assert shorten(text) == expected


def test_ec_curve_is_reported_by_its_standard_name() -> None:
    assert isinstance(ec_key("secp521r1").curve, ec.SECP521R1)
    assert facts_from_text(root_ca(key=ec_key("secp521r1")).pem).ec_curve == "secp521r1"


def test_facts_are_remembered_per_text_but_refusals_are_not() -> None:
    pem = root_ca("Cached Root").pem
    assert facts_from_text(pem) is facts_from_text(pem)
    for _ in range(2):
        with pytest.raises(CertificateBundleError):
            facts_from_text(pem + pem)


# --- What the DER answers directly agrees with what cryptography answers ---------------------


@pytest.mark.parametrize(
    "key",
    [rsa_key(), ec_key(), ec_key("secp384r1"), ed25519_key()],
    ids=["rsa", "p256", "p384", "ed25519"],
)
def test_facts_from_the_der_equal_the_facts_from_the_parsed_certificate(key: object) -> None:
    issued = build(CertSpec(common_name="DER Root", key=key))  # type: ignore[arg-type]
    from_text = facts_from_text(issued.pem)
    assert from_text == certificate_facts(issued.cert)
    assert from_text.sha256_fingerprint == issued.cert.fingerprint(hashes.SHA256()).hex()
    assert from_text.normalized_pem == issued.cert.public_bytes(serialization.Encoding.PEM).decode()
    assert from_text.is_self_issued


def test_the_same_name_in_other_string_types_is_still_self_issued() -> None:
    """Issuer and subject whose bytes differ (PrintableString vs UTF8String) but whose names
    are equal: the byte comparison is only a shortcut, the names decide."""
    key = ec_key()
    printable_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Mixed Root", _ASN1Type.PrintableString)]
    )
    utf8_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Mixed Root", _ASN1Type.UTF8String)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(utf8_name)
        .issuer_name(printable_name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    assert cert.issuer.public_bytes() != cert.subject.public_bytes()
    facts = facts_from_text(cert.public_bytes(serialization.Encoding.PEM).decode())
    assert facts.is_self_issued
    assert facts.self_signature_verifies
    assert facts.issuer == facts.subject == "CN=Mixed Root"


def test_a_certificate_issued_by_another_names_its_issuer() -> None:
    root = root_ca("Named Root")
    facts = facts_from_text(intermediate_ca(root, "Named Intermediate").pem)
    assert not facts.is_self_issued
    assert not facts.self_signature_verifies
    assert facts.issuer_display_name == "Named Root"
    assert facts.display_name == "Named Intermediate"
