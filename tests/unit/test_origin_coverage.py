"""Origin coverage, specified on chains that real TLS servers on loopback present.

Each test builds its CAs and chains in code, serves the chain with Python's ``ssl``, captures it
with ``fetch_chain`` (as ``probe`` and ``audit`` do) and judges it with the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import verification

from policies.origin_probe import fetch_chain
from policies.trust_rules.origins import CoverageStatus, check_coverage, parse_chain
from scripts.certs import (
    NOW,
    CertSpec,
    Issued,
    ec_key,
    ed25519_key,
    origin_intermediate,
    origin_leaf,
    origin_root,
    rsa_key,
)
from tests.origin_servers import Served, tls_server

DAY = dt.timedelta(days=1)
HOST = "origin.example.com"


def served_chain(leaf: Issued, *intermediates: Issued, sni: str = HOST) -> list[x509.Certificate]:
    with tls_server(Served(leaf, intermediates)) as port:
        return fetch_chain("127.0.0.1", port, sni, 5)


def judge(
    chain: Sequence[x509.Certificate],
    *cas: Issued,
    hostname: str = HOST,
    min_days: int = 30,
    public: Sequence[Issued] = (),
):  # type: ignore[no-untyped-def]
    return check_coverage(
        chain,
        hostname,
        [ca.cert for ca in cas],
        now=NOW,
        min_days_remaining=min_days,
        public_roots=[root.cert for root in public],
    )


def test_leaf_straight_from_the_root_is_covered_and_anchored_by_it() -> None:
    root = origin_root()
    leaf = origin_leaf(root)
    coverage = judge(served_chain(leaf), root, origin_root("Unrelated Root"))
    assert coverage.status is CoverageStatus.COVERED
    assert coverage.anchor == root.cert
    assert coverage.anchor_name == "CN=Corp Root 2024,O=Example Origin"
    assert coverage.breaks_on == leaf.cert.not_valid_after_utc


def test_leaf_via_an_intermediate_is_covered_by_the_root() -> None:
    root = origin_root()
    issuing = origin_intermediate(root)
    coverage = judge(served_chain(origin_leaf(issuing), issuing), root)
    assert coverage.covered
    assert coverage.anchor == root.cert
    assert len(coverage.path) == 3


def test_wrong_hostname_is_not_covered_and_says_so() -> None:
    root = origin_root()
    chain = served_chain(origin_leaf(root, "other.example.com"))
    coverage = judge(chain, root)
    assert coverage.status is CoverageStatus.NOT_COVERED
    assert coverage.reason is not None
    assert "not valid for origin.example.com" in coverage.reason


def test_chain_from_a_ca_not_in_the_store_names_its_issuer() -> None:
    elsewhere = origin_root("Elsewhere Root")
    chain = served_chain(origin_leaf(elsewhere))
    coverage = judge(chain, origin_root())
    assert coverage.status is CoverageStatus.NOT_COVERED
    assert coverage.reason == (
        "no CA of the set issued its chain, which names 'CN=Elsewhere Root,O=Example Origin'"
    )


def test_intermediate_expiring_before_the_root_is_the_first_break() -> None:
    root = origin_root()
    issuing = origin_intermediate(root, not_after=NOW + 20 * DAY)
    leaf = origin_leaf(issuing, not_after=NOW + 60 * DAY)
    chain = served_chain(leaf, issuing)
    relaxed = judge(chain, root, min_days=10)
    assert relaxed.covered
    assert relaxed.breaks_on == NOW + 20 * DAY
    assert relaxed.breaking == issuing.cert
    strict = judge(chain, root, min_days=30)
    assert strict.status is CoverageStatus.NOT_COVERED
    assert strict.reason is not None
    assert "breaks on 2026-12-19, when 'CN=Corp Issuing CA,O=Example Origin' expires" in (
        strict.reason
    )


def test_empty_store_falls_back_to_public_roots() -> None:
    public = origin_root("Public Root R1")
    chain = served_chain(origin_leaf(public))
    coverage = judge(chain, public=[public])
    assert coverage.covered
    assert coverage.public_roots
    assert not judge(chain, origin_root("Corp Private Root")).covered


def test_sni_dependent_chains_are_judged_per_name() -> None:
    root = origin_root()
    other = origin_root("Other Root")
    www = origin_leaf(root, "www.example.com")
    api = origin_leaf(other, "api.example.com")
    with tls_server(Served(www), {"api.example.com": Served(api)}) as port:
        www_chain = fetch_chain("127.0.0.1", port, "www.example.com", 5)
        api_chain = fetch_chain("127.0.0.1", port, "api.example.com", 5)
    assert judge(www_chain, root, hostname="www.example.com").covered
    assert not judge(api_chain, root, hostname="api.example.com").covered
    assert judge(api_chain, other, hostname="api.example.com").covered


def test_ip_address_hostname_matches_an_ip_san() -> None:
    root = origin_root()
    chain = served_chain(origin_leaf(root, "127.0.0.1"), sni="")
    assert judge(chain, root, hostname="127.0.0.1").covered


def _mldsa_key() -> object:
    from cryptography.hazmat.primitives.asymmetric import mldsa

    return mldsa.MLDSA65PrivateKey.generate()


UNSUPPORTED_ROOT_KEYS = [
    ("Ed25519", ed25519_key),
    ("secp256k1", lambda: ec_key("secp256k1")),
    ("P-224", lambda: ec_key("secp224r1")),
    ("RSA 1024", lambda: rsa_key(1024)),
]


def _chain_signed_with(label: str, root_key: object) -> tuple[Issued, Issued]:
    pure = label.startswith(("Ed", "ML-DSA"))  # signature schemes without a separate hash
    hashing: dict[str, object] = {"hash_algorithm": None} if pure else {}
    root = origin_root(f"{label} Root", key=root_key, **hashing)
    return root, origin_leaf(root, **hashing)


def test_ml_dsa_chains_verify() -> None:
    """cryptography 50's verifier supports ML-DSA (FIPS 204): measured, so it is judged."""
    root, leaf = _chain_signed_with("ML-DSA-65", _mldsa_key())
    coverage = judge([leaf.cert], root)
    assert coverage.covered, coverage.reason
    assert coverage.anchor == root.cert


def _verify_directly(leaf: Issued, root: Issued) -> None:
    """cryptography's own server verifier, with no code of ours in between."""
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([root.cert]))
        .time(NOW)
        .build_server_verifier(x509.DNSName(HOST))
    )
    verifier.verify(leaf.cert, [])


@pytest.mark.parametrize(("label", "root_key"), UNSUPPORTED_ROOT_KEYS)
def test_the_pinned_verifier_itself_refuses_these_algorithms(label: str, root_key: object) -> None:
    """The measurement behind "cannot verify": cryptography's verifier, called directly."""
    root, leaf = _chain_signed_with(label, root_key())  # type: ignore[operator]
    with pytest.raises((verification.VerificationError, UnsupportedAlgorithm)):
        _verify_directly(leaf, root)


@pytest.mark.parametrize(("label", "root_key"), UNSUPPORTED_ROOT_KEYS)
def test_algorithms_the_verifier_does_not_support_cannot_be_verified(
    label: str, root_key: object
) -> None:
    root, leaf = _chain_signed_with(label, root_key())  # type: ignore[operator]
    coverage = judge([leaf.cert], root)
    assert coverage.status is CoverageStatus.CANNOT_VERIFY, label
    assert not coverage.covered
    assert coverage.reason is not None
    assert "does not support" in coverage.reason


def test_legacy_sha1_signature_cannot_be_verified() -> None:
    from tests.certs_legacy import legacy_signed

    root = origin_root()
    spec = CertSpec(common_name=HOST, issuer=root, is_ca=False, dns_names=(HOST,))
    leaf = legacy_signed("sha1", spec, not_after=NOW + 90 * DAY, key_identifiers=True)
    coverage = judge([leaf.cert], root)
    assert coverage.status is CoverageStatus.CANNOT_VERIFY
    with pytest.raises((verification.VerificationError, UnsupportedAlgorithm)):
        _verify_directly(leaf, root)  # the measurement behind it


def test_parse_chain_refuses_keys_and_non_pem() -> None:
    leaf = origin_leaf(origin_root())
    with pytest.raises(ValueError, match="private key"):
        parse_chain(leaf.pem + leaf.key_pem)
    with pytest.raises(ValueError, match="no PEM certificate"):
        parse_chain("hello")


def test_an_expired_anchor_is_named_and_is_the_store_s_problem() -> None:
    root = origin_root(not_before=NOW - 400 * DAY, not_after=NOW - DAY)
    coverage = judge(served_chain(origin_leaf(root)), root)
    assert coverage.status is CoverageStatus.NOT_COVERED
    assert coverage.reason == (
        "'CN=Corp Root 2024,O=Example Origin' (the CA that would anchor it) is valid only from "
        "2025-10-25 to 2026-11-28"
    )
    assert not coverage.origin_side


def test_an_expired_leaf_is_the_origin_s_own_problem() -> None:
    root = origin_root()
    leaf = origin_leaf(root, not_before=NOW - 90 * DAY, not_after=NOW - DAY)
    coverage = judge([leaf.cert], root)
    assert coverage.status is CoverageStatus.NOT_COVERED
    assert coverage.reason is not None
    assert coverage.reason.startswith("'CN=origin.example.com,O=Example Origin' in its chain")
    assert coverage.origin_side
