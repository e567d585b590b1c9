"""CA files in DER (``.der``, ``.cer``, ``.crt`` often are): read by ``check`` and by the stack
program, converted to PEM by one loader (``policies.reading.read_certificate_file``) before any
rule or resource sees them. DER pasted into a resource's ``certificate`` input is refused with a
message that says what it is and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from policies.reading import read_certificate_file
from policies.trust_rules.certificates import facts_from_text
from policies.trust_rules.errors import PrivateKeyMaterialError
from provider.program import ProgramConfigError, find_ca_files, read_ca_file
from provider.properties import check_certificate
from tests.certs import Issued, mldsa_root, root_ca
from tests.unit.test_check_cli import NOW_ARG, check

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"


def der(issued: Issued) -> bytes:
    return issued.cert.public_bytes(serialization.Encoding.DER)


def der_key(issued: Issued) -> bytes:
    return issued.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize("suffix", [".der", ".cer", ".crt"])
def test_the_loader_turns_a_der_file_into_the_pem_the_rules_read(
    tmp_path: Path, suffix: str
) -> None:
    issued = root_ca("DER Root")
    path = tmp_path / f"root{suffix}"
    path.write_bytes(der(issued))
    content, text = read_certificate_file(path)
    assert content == der(issued)
    assert text == issued.pem


def test_the_loader_leaves_pem_files_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "root.crt"
    messy = "\n" + root_ca().pem.replace("\n", "\r\n")
    path.write_text(messy, newline="")
    assert read_certificate_file(path)[1] == messy


def test_the_loader_refuses_a_der_private_key(tmp_path: Path) -> None:
    path = tmp_path / "root.der"
    path.write_bytes(der_key(root_ca()))
    with pytest.raises(PrivateKeyMaterialError):
        read_certificate_file(path)


# --- check --------------------------------------------------------------------------------------


def test_check_accepts_der_files_and_judges_them_like_pem(tmp_path: Path) -> None:
    folder = tmp_path / "cas" / ZONE
    folder.mkdir(parents=True)
    (folder / "rsa.der").write_bytes(der(root_ca("DER Root")))
    (folder / "pq.cer").write_bytes(der(mldsa_root("ML-DSA-44", "PQ DER Root")))
    (folder / "pq.pem").write_text(mldsa_root("ML-DSA-87", "PQ PEM Root").pem)
    result = check(tmp_path / "cas", "--now", NOW_ARG, "--json")
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    by_file = {
        r["file"].rsplit("/", 1)[-1]: r
        for r in report["results"]
        if r["policy"] == "origin-ca-is-root"
    }
    assert {name: r["status"] for name, r in by_file.items()} == dict.fromkeys(
        ("rsa.der", "pq.cer", "pq.pem"), "passed"
    )
    assert by_file["pq.cer"]["keyType"] == "ML-DSA-44"
    assert by_file["rsa.der"]["subject"] == "CN=DER Root,O=Example Origin"
    # The mixed zone (classical DER CA beside post-quantum ones) is reported, as for PEM.
    assert report["summary"]["advisoryWarnings"] == 1


def test_check_sees_the_same_ca_in_der_and_pem_as_a_duplicate(tmp_path: Path) -> None:
    issued = root_ca("Twice Root")
    folder = tmp_path / "cas" / ZONE
    folder.mkdir(parents=True)
    (folder / "a.der").write_bytes(der(issued))
    (folder / "a.pem").write_text(issued.pem)
    result = check(tmp_path / "cas", "--now", NOW_ARG)
    assert result.returncode == 1
    assert "origin-ca-no-duplicates" in result.stdout


def test_check_refuses_a_der_private_key_as_key_material(tmp_path: Path) -> None:
    issued = root_ca()
    path = tmp_path / "ca.der"
    path.write_bytes(der_key(issued))
    for _ in range(2):  # the second run may read the cache: same verdict
        result = check(path, "--now", NOW_ARG)
        assert result.returncode == 1, result
        assert "origin-ca-well-formed" in result.stdout
        assert "private key material found" in result.stdout


def test_check_reports_broken_der_as_not_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "ca.der"
    path.write_bytes(bytes([0x30, 0x03, 0x02, 0x01, 0x05]))  # a SEQUENCE, not a certificate
    result = check(path, "--now", NOW_ARG)
    assert result.returncode == 1
    assert "not a valid DER X.509 certificate" in result.stdout


# --- the stack program --------------------------------------------------------------------------


def test_the_program_reads_der_files_from_certificates_dir_and_hands_on_pem(
    tmp_path: Path,
) -> None:
    (tmp_path / "cas").mkdir()
    rsa, pq = root_ca("Program DER Root"), mldsa_root("ML-DSA-65", "Program PQ Root")
    (tmp_path / "cas" / "a.der").write_bytes(der(rsa))
    (tmp_path / "cas" / "b.CER").write_bytes(der(pq))
    (tmp_path / "cas" / "notes.txt").write_text("not a CA")
    (tmp_path / "listed.crt").write_bytes(der(root_ca("Listed Root")))
    found = find_ca_files(tmp_path, ["listed.crt"], "cas")
    assert [f.path.name for f in found] == ["listed.crt", "a.der", "b.CER"]
    assert [f.pem.startswith("-----BEGIN CERTIFICATE-----\n") for f in found] == [True] * 3
    assert found[1].pem == rsa.pem
    assert found[2].sha256_fingerprint == facts_from_text(pq.pem).sha256_fingerprint


def test_the_program_refuses_a_der_key_file_before_anything_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "ca.der"
    path.write_bytes(der_key(root_ca()))
    with pytest.raises(ProgramConfigError, match="private key material"):
        read_ca_file(path)


def test_the_program_names_an_unreadable_ca_file(tmp_path: Path) -> None:
    path = tmp_path / "ca.cer"
    path.write_bytes(b"\xff\xfe not a certificate")
    with pytest.raises(ProgramConfigError, match=r"not UTF-8 text \(expected a PEM or DER"):
        read_ca_file(path)


def test_an_empty_certificates_dir_names_every_accepted_ending(tmp_path: Path) -> None:
    (tmp_path / "cas").mkdir()
    with pytest.raises(ProgramConfigError, match=r"\(\.pem, \.crt, \.cer, \.der\)"):
        find_ca_files(tmp_path, certificates_dir="cas")


# --- the resource's certificate input stays PEM --------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        (lambda: der(root_ca()).decode("latin-1"), "this is binary DER, not PEM text"),
        (
            lambda: "".join(root_ca().pem.splitlines()[1:-1]),
            "looks like a base64 DER certificate without its -----BEGIN CERTIFICATE-----",
        ),
        (lambda: der(root_ca()), "got bytes (DER bytes?)"),
    ],
    ids=["binary-as-text", "bare-base64", "bytes"],
)
def test_der_pasted_into_the_certificate_input_is_refused_clearly(
    pasted: object, expected: str
) -> None:
    value = pasted()  # type: ignore[operator]
    pem, failure = check_certificate(value)
    assert pem is None
    assert failure is not None
    assert expected in failure.reason
    if not isinstance(value, bytes) and "binary" in expected:
        assert "openssl x509 -inform der -in ca.der -out ca.pem" in failure.reason
        assert "certificatesDir" in failure.reason
