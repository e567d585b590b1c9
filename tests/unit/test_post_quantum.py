"""Post-quantum ML-DSA root CAs: accepted by default everywhere a certificate is judged, and
zones that hold them told to drop their classical CAs (``origin-ca-post-quantum-only``).

Source of both facts: Cloudflare's SSL changelog of 2026-06-17 and its guidance "Post-quantum
between Cloudflare and origin servers" (docs/policies.md, "Post-quantum CAs").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from policies.trust_rules import post_quantum, resource_rules
from policies.trust_rules.catalog import SPECS_BY_NAME, entry_for
from policies.trust_rules.certificates import facts_from_text
from policies.trust_rules.errors import PolicyConfigError
from policies.trust_rules.outcomes import FILE_KIND, Place
from policies.trust_rules.zone_rules import KnownEntry
from provider.properties import check_certificate
from tests.certs import (
    ML_DSA_LEVELS,
    CertSpec,
    build,
    ec_key,
    ed25519_key,
    intermediate_ca,
    mldsa_key,
    mldsa_root,
    root_ca,
)
from tests.fixtures.emulator import ZONE_ID
from tests.unit.test_check_cli import NOW_ARG, check, write

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
OTHER_ZONE = "e" * 32
LEVELS = sorted(ML_DSA_LEVELS)
STRONG = SPECS_BY_NAME["origin-ca-strong-crypto"]
PQ_ONLY = SPECS_BY_NAME["origin-ca-post-quantum-only"]


# --- facts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_an_ml_dsa_root_is_a_verified_root_with_its_key_type_named(level: str) -> None:
    facts = facts_from_text(mldsa_root(level).pem)
    assert facts.key_type == facts.key_description == level
    assert facts.is_post_quantum
    assert facts.self_signature_verifies
    assert resource_rules.is_root(facts, Place("pq", ZONE)) is None


def test_an_ml_dsa_certificate_signed_by_another_key_fails_its_self_signature() -> None:
    impostor_signer = mldsa_root("ML-DSA-65", "Same Name Root")
    forged = build(
        CertSpec(common_name="Same Name Root", key=mldsa_key("ML-DSA-44"), issuer=impostor_signer)
    )
    facts = facts_from_text(forged.pem)
    assert facts.is_self_issued
    assert not facts.self_signature_verifies
    message = resource_rules.is_root(facts, Place("pq", ZONE))
    assert message is not None
    assert "does not verify with its own key" in message


def test_an_intermediate_under_an_ml_dsa_root_is_still_refused_as_not_a_root() -> None:
    facts = facts_from_text(intermediate_ca(mldsa_root()).pem)
    message = resource_rules.is_root(facts, Place("pq", ZONE))
    assert message is not None
    assert "not by itself" in message


@pytest.mark.parametrize(
    ("pem", "described"),
    [
        (lambda: root_ca().pem, "RSA 2048"),
        (lambda: root_ca(key=ec_key("secp256r1")).pem, "EC P-256"),
        (lambda: root_ca(key=ec_key("secp384r1")).pem, "EC P-384"),
        (lambda: root_ca(key=ed25519_key()).pem, "Ed25519"),
    ],
)
def test_classical_keys_are_described_as_people_name_them(pem: object, described: str) -> None:
    assert facts_from_text(pem()).key_description == described  # type: ignore[operator]


# --- origin-ca-strong-crypto and allowMLDSA -------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_ml_dsa_roots_are_strong_by_default(level: str) -> None:
    facts = facts_from_text(mldsa_root(level).pem)
    settings = STRONG.read_config({})
    assert settings["allowMLDSA"] is True
    assert (
        resource_rules.strong_crypto(
            facts, Place("pq", ZONE), min_rsa_bits=2048, allow_eddsa=False, allow_mldsa=True
        )
        is None
    )


def test_allow_mldsa_false_refuses_them_and_says_how_to_accept_them() -> None:
    facts = facts_from_text(mldsa_root("ML-DSA-87").pem)
    message = resource_rules.strong_crypto(
        facts, Place("pq", ZONE), min_rsa_bits=2048, allow_eddsa=False, allow_mldsa=False
    )
    assert message is not None
    assert f"(SHA-256 {facts.short_fingerprint}, ML-DSA-87)" in message
    assert "set allowMLDSA to true to accept it" in message
    # Followed literally, the advice leads to a CA this configuration accepts.
    assert "ML-DSA" not in message.split("Reissue", 1)[1]


def test_a_weak_classical_ca_names_its_key_type() -> None:
    from tests.certs import rsa_key

    facts = facts_from_text(root_ca(key=rsa_key(1024)).pem)
    message = resource_rules.strong_crypto(
        facts, Place("weak", ZONE), min_rsa_bits=2048, allow_eddsa=False
    )
    assert message is not None
    assert "RSA 1024)" in message
    assert "or with an ML-DSA-44/65/87 key" in message


def test_allow_mldsa_is_validated_like_every_setting() -> None:
    with pytest.raises(PolicyConfigError, match="allowMLDSA must be true or false"):
        STRONG.read_config({"allowMLDSA": "yes"})
    with pytest.raises(PolicyConfigError, match=r"did you mean allowMLDSA\?"):
        STRONG.read_config({"allowMLDSa": False})


@pytest.mark.parametrize("level", LEVELS)
def test_the_provider_check_accepts_ml_dsa_roots(level: str) -> None:
    issued = mldsa_root(level)
    pem, failure = check_certificate(issued.pem)
    assert failure is None
    assert pem == issued.pem


def test_the_provider_check_names_the_key_type_of_what_it_refuses() -> None:
    leaf = build(
        CertSpec(
            common_name="origin.example.com",
            issuer=mldsa_root(),
            is_ca=False,
            key=mldsa_key("ML-DSA-44"),
        )
    )
    pem, failure = check_certificate(leaf.pem)
    assert pem is None
    assert failure is not None
    assert ", ML-DSA-44) is not a CA certificate" in failure.reason


# --- origin-ca-post-quantum-only ----------------------------------------------------------------


def entry(pem: str, name: str, zone_id: str = ZONE, *, deployed: bool = False) -> KnownEntry:
    return KnownEntry(Place(name, zone_id, f"urn:{name}"), facts_from_text(pem), deployed=deployed)


def test_a_mixed_zone_names_the_classical_cas_to_remove_once_origins_serve_ml_dsa() -> None:
    pq = entry(mldsa_root("ML-DSA-44", "PQ Root").pem, "pq")
    old = entry(root_ca("Old RSA Root").pem, "old-rsa")
    ecdsa = entry(root_ca("Old EC Root", key=ec_key("secp384r1")).pem, "old-ec")
    report = post_quantum.post_quantum_only([pq, old, ecdsa])
    [violation] = report.violations
    message = violation.message
    assert message.startswith("Zone 023e…c353 holds post-quantum CA 'PQ Root' (SHA-256 ")
    assert ", ML-DSA-44) (resource 'pq') alongside 2 classical CA(s)" in message
    assert "CA 'Old RSA Root' (SHA-256 " in message
    assert ", RSA 2048) (resource 'old-rsa')" in message
    assert ", EC P-384) (resource 'old-ec')" in message
    assert "Once every origin of this zone serves an ML-DSA certificate chain, remove" in message
    assert "Until then keep them" in message
    assert violation.urn in {"urn:old-rsa", "urn:old-ec"}


def test_zones_with_one_kind_of_ca_pass() -> None:
    only_pq = [entry(mldsa_root(level).pem, level) for level in LEVELS]
    only_classical = [entry(root_ca("A").pem, "a"), entry(root_ca("B").pem, "b")]
    assert post_quantum.post_quantum_only(only_pq).violations == ()
    assert post_quantum.post_quantum_only(only_classical).violations == ()


def test_zones_limits_the_policy_to_the_listed_zones() -> None:
    mixed_here = [entry(mldsa_root().pem, "pq"), entry(root_ca().pem, "rsa")]
    mixed_there = [
        entry(mldsa_root().pem, "pq-2", OTHER_ZONE),
        entry(root_ca("There").pem, "rsa-2", OTHER_ZONE),
    ]
    report = post_quantum.post_quantum_only(
        [*mixed_here, *mixed_there], zones=(OTHER_ZONE.upper(),)
    )
    [violation] = report.violations
    assert violation.urn == "urn:rsa-2"
    assert len(post_quantum.post_quantum_only([*mixed_here, *mixed_there]).violations) == 2


def test_a_mixed_zone_left_unchanged_is_reported_but_never_refused() -> None:
    """Adding the first ML-DSA CA beside deployed classical ones is how a migration starts."""
    report = post_quantum.post_quantum_only(
        [entry(mldsa_root().pem, "pq"), entry(root_ca().pem, "rsa", deployed=True)]
    )
    [violation] = report.violations
    assert not violation.refusable
    assert violation.message.endswith(
        "ALREADY DEPLOYED: this deployment adds no classical CA to this zone, so it is not "
        "refused for it."
    )


def test_files_without_a_zone_are_a_set_of_cas() -> None:
    members = [
        KnownEntry(Place("a.pem", None, "a.pem", FILE_KIND), facts_from_text(mldsa_root().pem)),
        KnownEntry(Place("b.pem", None, "b.pem", FILE_KIND), facts_from_text(root_ca().pem)),
    ]
    message = post_quantum.mixed_zone_problem(members)
    assert message is not None
    assert message.startswith("This set of CAs holds post-quantum")
    assert "(file 'b.pem')" in message


@pytest.mark.parametrize(
    ("zones", "problem"),
    [
        ("023e105f4ecef8ad9ca31a8372d0c353", "must be a list of strings"),
        ([""], "non-empty strings"),
        ([5], "non-empty strings"),
        (["x" * 256], "at most 255 characters"),
    ],
)
def test_zones_must_be_a_list_of_zone_ids(zones: object, problem: str) -> None:
    with pytest.raises(PolicyConfigError, match=problem):
        PQ_ONLY.read_config({"zones": zones})


def test_zones_defaults_to_every_zone_and_publishes_an_array_schema() -> None:
    assert PQ_ONLY.read_config({}) == {"zones": ()}
    [setting] = PQ_ONLY.settings
    assert setting.schema()["type"] == "array"
    assert setting.schema()["items"] == {"type": "string"}
    assert setting.schema()["default"] == []


# --- check --------------------------------------------------------------------------------------


def test_check_passes_ml_dsa_roots_of_every_level_and_reports_their_key_type(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cas" / ZONE
    folder.mkdir(parents=True)
    for level in LEVELS:
        write(folder, f"{level}.pem", mldsa_root(level).pem)
    result = check(tmp_path / "cas", "--now", NOW_ARG, "--json")
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    assert report["summary"]["mandatoryFailures"] == 0
    assert report["summary"]["advisoryWarnings"] == 0
    key_types = {r["file"].rsplit("/", 1)[-1]: r["keyType"] for r in report["results"] if r["file"]}
    assert key_types == {f"{level}.pem": level for level in LEVELS}
    # A second run reads the facts from the cache: the same verdicts and key types.
    again = check(tmp_path / "cas", "--now", NOW_ARG, "--json")
    assert json.loads(again.stdout)["results"] == report["results"]


def _mixed_zone(tmp_path: Path) -> Path:
    folder = tmp_path / "cas" / ZONE
    folder.mkdir(parents=True)
    write(folder, "pq.pem", mldsa_root("ML-DSA-65", "PQ Root").pem)
    write(folder, "classic.pem", root_ca("Classic Root").pem)
    return tmp_path / "cas"


def test_check_warns_about_a_mixed_zone(tmp_path: Path) -> None:
    result = check(_mixed_zone(tmp_path), "--now", NOW_ARG)
    assert result.returncode == 0, result
    assert "WARN    advisory   origin-ca-post-quantum-only  zone 023e…c353" in result.stdout
    assert "remove the classical CA(s): CA 'Classic Root'" in result.stdout


def test_check_refuses_a_mixed_zone_configured_post_quantum_only(tmp_path: Path) -> None:
    cas = _mixed_zone(tmp_path)
    mandatory = {"origin-ca-post-quantum-only": {"enforcementLevel": "mandatory", "zones": [ZONE]}}
    config = write(tmp_path, "policy.json", json.dumps(mandatory))
    result = check(cas, "--now", NOW_ARG, "--config", config)
    assert result.returncode == 1, result
    assert "FAIL    mandatory  origin-ca-post-quantum-only  zone 023e…c353" in result.stdout

    elsewhere = {
        "origin-ca-post-quantum-only": {"enforcementLevel": "mandatory", "zones": [OTHER_ZONE]}
    }
    config.write_text(json.dumps(elsewhere))
    assert check(cas, "--now", NOW_ARG, "--config", config).returncode == 0


def test_check_refuses_a_misspelt_zones_key(tmp_path: Path) -> None:
    config = write(tmp_path, "policy.json", '{"origin-ca-post-quantum-only": {"zone": []}}')
    result = check(_mixed_zone(tmp_path), "--config", config)
    assert result.returncode == 2
    assert "did you mean zones?" in result.stderr


def test_entry_for_keeps_ml_dsa_facts() -> None:
    made = entry_for(mldsa_root().pem, Place("pq", ZONE))
    assert made.problem is None
    assert made.facts is not None
    assert made.facts.is_post_quantum


# --- the emulator and the provider's client -----------------------------------------------------


def test_the_emulator_stores_ml_dsa_roots_named_by_their_parameter_set(
    emulator_http: httpx.Client,
) -> None:
    collection = f"/zones/{ZONE_ID}/acm/custom_trust_store"
    for level in LEVELS:
        issued = mldsa_root(level)
        response = emulator_http.post(collection, json={"certificate": issued.pem})
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert result["signature"] == level
        assert result["certificate"] == issued.pem
    listed = emulator_http.get(collection).json()["result"]
    assert sorted(entry["signature"] for entry in listed) == LEVELS


# --- the Pulumi pack ------------------------------------------------------------------------------


def test_the_pack_warns_about_a_mixed_zone_and_refuses_only_a_new_classical_ca(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from policies import pack
    from policies.trust_rules.catalog import Level
    from tests.unit.test_policy_pack import official_outputs, run_stack

    pq = official_outputs("pq", mldsa_root().pem, deployed=True)
    new_classic = official_outputs("classic", root_ca("Classic Root").pem)
    old_classic = official_outputs("old-classic", root_ca("Old Root").pem, deployed=True)

    monkeypatch.setattr(pack, "received_levels", {})  # advisory, the default
    warned = run_stack(PQ_ONLY.name, [pq, old_classic])
    [(message, _)] = warned.violations
    assert "remove the classical CA(s): CA 'Old Root'" in message
    assert "ALREADY DEPLOYED" in message

    monkeypatch.setattr(pack, "received_levels", {PQ_ONLY.name: Level.MANDATORY})
    refused = run_stack(PQ_ONLY.name, [pq, new_classic], {"zones": [ZONE]})
    [(message, urn)] = refused.violations
    assert "CA 'Classic Root'" in message
    assert urn is not None
    assert urn.endswith("::classic")
    # A zone already mixed, whose classical CA the deployment leaves alone, is not refused...
    untouched = run_stack(PQ_ONLY.name, [pq, old_classic], {"zones": [ZONE]})
    assert untouched.violations == []
    assert untouched.not_applicable is not None
    assert "ALREADY DEPLOYED" in untouched.not_applicable
    # ... and zones outside `zones` are not judged.
    elsewhere = run_stack(PQ_ONLY.name, [pq, new_classic], {"zones": [OTHER_ZONE]})
    assert elsewhere.violations == []


def test_every_policy_config_sample_in_the_docs_is_valid() -> None:
    from policies.commands.check import load_config

    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
    samples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", docs, re.DOTALL)]
    configs = [
        s for s in samples if isinstance(s, dict) and all(k.startswith("origin-ca-") for k in s)
    ]
    assert sum(PQ_ONLY.name in config for config in configs) >= 2
    for config in configs:
        load_config(config)  # raises UsageError naming the problem
