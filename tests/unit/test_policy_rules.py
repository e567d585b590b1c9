"""The rules on their own: pure functions of certificate facts and a fixed clock.

Boundaries are exact: a certificate with exactly N days left, and one second either side.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes

from policies.trust_rules import resource_rules, zone_rules
from policies.trust_rules.catalog import (
    ALL_SPECS,
    DEFAULT_CLOCK_SKEW_SECONDS,
    DEFAULT_MAX_LIFETIME_USED_PERCENT,
    DEFAULT_MIN_DAYS_REMAINING,
    DEFAULT_MIN_RSA_BITS,
    DEFAULT_WARN_DAYS_REMAINING,
    SPECS_BY_NAME,
    Level,
    entry_for,
)
from policies.trust_rules.certificates import CertificateFacts, facts_from_text
from policies.trust_rules.errors import PolicyConfigError, PrivateKeyMaterialError
from policies.trust_rules.outcomes import Place, zone
from tests.certs import (
    NOW,
    CertSpec,
    build,
    ec_key,
    ed25519_key,
    expiring_in,
    intermediate_ca,
    leaf,
    root_ca,
    rsa_key,
)
from tests.certs_legacy import legacy_signed

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
PLACE = Place("ca-2026", ZONE, "urn:pulumi:dev::trust::ca-2026")
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


def facts_of(**overrides: object) -> CertificateFacts:
    return facts_from_text(build(CertSpec(), **overrides).pem)


def expiring(delta: dt.timedelta, name: str = "Expiring Root CA") -> CertificateFacts:
    return facts_from_text(expiring_in(delta, name).pem)


# --- origin-ca-not-expired -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "fails"), [(SECOND, False), (dt.timedelta(0), False), (-SECOND, True)]
)
def test_not_expired_boundary_is_not_after_inclusive(delta: dt.timedelta, fails: bool) -> None:
    message = resource_rules.not_expired(expiring(delta), PLACE, now=NOW)
    assert (message is not None) is fails


def test_not_expired_message() -> None:
    facts = expiring(-3 * DAY, "Old Root")
    message = resource_rules.not_expired(facts, PLACE, now=NOW)
    assert message == (
        f"CA 'Old Root' (SHA-256 {facts.short_fingerprint}) for resource 'ca-2026' in zone "
        "023e…c353 expired 2026-11-26, 3 days ago. Upload a valid root CA and remove this one."
    )


# --- origin-ca-not-near-expiry ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "fails"),
    [
        (30 * DAY + SECOND, False),
        (30 * DAY, False),
        (30 * DAY - SECOND, True),
        (DAY, True),
        (-DAY, True),
    ],
    ids=["30d+1s", "exactly-30d", "30d-1s", "1d", "expired"],
)
def test_not_near_expiry_boundaries(delta: dt.timedelta, fails: bool) -> None:
    message = resource_rules.not_near_expiry(
        expiring(delta), PLACE, now=NOW, min_days_remaining=DEFAULT_MIN_DAYS_REMAINING
    )
    assert (message is not None) is fails


def test_not_near_expiry_message_follows_the_design_example() -> None:
    facts = expiring(11 * DAY, "Example Root")
    message = resource_rules.not_near_expiry(facts, PLACE, now=NOW, min_days_remaining=30)
    assert message == (
        f"CA 'Example Root' (SHA-256 {facts.short_fingerprint}) for resource 'ca-2026' in zone "
        "023e…c353 expires 2026-12-10, 11 days from now: this CA is too short-lived to deploy; "
        "policy requires at least 30 days "
        "remaining (minDaysRemaining). Deploy a root CA valid for longer instead, or lower "
        "minDaysRemaining."
    )


def test_not_near_expiry_threshold_is_configurable() -> None:
    facts = expiring(10 * DAY)
    assert resource_rules.not_near_expiry(facts, PLACE, now=NOW, min_days_remaining=30)
    assert resource_rules.not_near_expiry(facts, PLACE, now=NOW, min_days_remaining=5) is None


def test_not_near_expiry_on_an_expired_ca_says_so() -> None:
    message = resource_rules.not_near_expiry(
        expiring(-2 * DAY), PLACE, now=NOW, min_days_remaining=30
    )
    assert message is not None
    assert "expired 2026-11-27, 2 days ago" in message


# --- origin-ca-expiry-warning -----------------------------------------------------------------


def warn(
    facts: CertificateFacts, *, percent: float = DEFAULT_MAX_LIFETIME_USED_PERCENT
) -> str | None:
    return resource_rules.expiry_warning(
        facts,
        PLACE,
        now=NOW,
        warn_days_remaining=DEFAULT_WARN_DAYS_REMAINING,
        max_lifetime_used_percent=percent,
    )


@pytest.mark.parametrize(
    ("delta", "warns"),
    [(90 * DAY + SECOND, False), (90 * DAY, False), (90 * DAY - SECOND, True)],
)
def test_expiry_warning_window_boundary(delta: dt.timedelta, warns: bool) -> None:
    # notBefore a year ago: ~80% used would also warn, so lift the lifetime limit here.
    message = warn(expiring(delta), percent=100)
    assert (message is not None) is warns


def test_expiry_warning_on_lifetime_used() -> None:
    # 300 days of a 400-day lifetime used: 75% > 67%, though 100 days remain.
    facts = facts_of(not_before=NOW - 300 * DAY, not_after=NOW + 100 * DAY)
    message = warn(facts)
    assert message is not None
    assert "75% of its lifetime used, over 67% (maxLifetimeUsedPercent)" in message
    assert "warnDaysRemaining" not in message
    assert warn(facts, percent=80) is None


def test_expiry_warning_lifetime_boundary_is_inclusive() -> None:
    # exactly 67% used (67 of 100 days) does not warn; a second later it does.
    facts = facts_of(not_before=NOW - 67 * DAY, not_after=NOW + 33 * DAY)
    assert (
        resource_rules.expiry_warning(
            facts, PLACE, now=NOW, warn_days_remaining=0, max_lifetime_used_percent=67
        )
        is None
    )
    assert resource_rules.expiry_warning(
        facts, PLACE, now=NOW + SECOND, warn_days_remaining=0, max_lifetime_used_percent=67
    )


def test_expiry_warning_leaves_expired_cas_to_not_expired() -> None:
    assert warn(expiring(-DAY)) is None


def test_healthy_ca_gets_no_warning() -> None:
    assert warn(facts_of()) is None


# --- origin-ca-not-yet-valid ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "fails"),
    [(dt.timedelta(0), False), (300 * SECOND, False), (301 * SECOND, True), (2 * DAY, True)],
)
def test_not_yet_valid_allows_clock_skew(offset: dt.timedelta, fails: bool) -> None:
    facts = facts_of(not_before=NOW + offset)
    message = resource_rules.not_yet_valid(
        facts, PLACE, now=NOW, clock_skew_seconds=DEFAULT_CLOCK_SKEW_SECONDS
    )
    assert (message is not None) is fails


def test_not_yet_valid_message_names_the_start_and_setting() -> None:
    facts = facts_of(not_before=NOW + 2 * DAY)
    message = resource_rules.not_yet_valid(facts, PLACE, now=NOW, clock_skew_seconds=0)
    assert message is not None
    assert "is not valid until 2026-12-01T12:00:00+00:00 (2 days from now)" in message
    assert "0 seconds (clockSkewSeconds)" in message


# --- origin-ca-is-root ------------------------------------------------------------------------


def test_healthy_root_is_a_root() -> None:
    assert resource_rules.is_root(facts_of(), PLACE) is None


def test_leaf_is_not_a_root() -> None:
    facts = facts_from_text(leaf(root_ca("Chain Root")).pem)
    message = resource_rules.is_root(facts, PLACE)
    assert message is not None
    assert "CA=FALSE" in message
    assert "issued by 'Chain Root'" in message
    assert "accepts root CA certificates only" in message


def test_intermediate_is_not_a_root() -> None:
    facts = facts_from_text(intermediate_ca(root_ca("Chain Root")).pem)
    message = resource_rules.is_root(facts, PLACE)
    assert message is not None
    assert "issued by 'Chain Root', not by itself" in message
    assert "CA=FALSE" not in message


def test_self_signed_with_ca_false_is_not_a_root() -> None:
    message = resource_rules.is_root(facts_of(is_ca=False), PLACE)
    assert message is not None
    assert "CA=FALSE" in message
    assert "not by itself" not in message


def test_self_signed_without_basic_constraints_is_not_a_root() -> None:
    message = resource_rules.is_root(facts_of(basic_constraints=False), PLACE)
    assert message is not None
    assert "no basicConstraints" in message


def test_ca_without_key_cert_sign_is_not_a_root() -> None:
    message = resource_rules.is_root(facts_of(key_cert_sign=False), PLACE)
    assert message is not None
    assert "keyCertSign" in message


def test_self_issued_with_a_signature_that_does_not_verify_is_not_a_root() -> None:
    impostor = root_ca("Lookalike Root", key=ec_key("secp384r1"))
    facts = facts_from_text(build(CertSpec(common_name="Lookalike Root", issuer=impostor)).pem)
    message = resource_rules.is_root(facts, PLACE)
    assert message is not None
    assert "signature does not verify with its own key" in message


# --- origin-ca-strong-crypto ------------------------------------------------------------------


def crypto(facts: CertificateFacts, *, allow_eddsa: bool = False) -> str | None:
    return resource_rules.strong_crypto(
        facts, PLACE, min_rsa_bits=DEFAULT_MIN_RSA_BITS, allow_eddsa=allow_eddsa
    )


@pytest.mark.parametrize(
    ("key", "strong"),
    [
        (lambda: rsa_key(1024), False),
        (lambda: rsa_key(2048), True),
        (lambda: rsa_key(4096), True),
        (lambda: ec_key("secp256r1"), True),
        (lambda: ec_key("secp384r1"), True),
        (lambda: ec_key("secp521r1"), True),
        (lambda: ec_key("secp256k1"), False),
        (lambda: ec_key("secp224r1"), False),
        (ed25519_key, False),
    ],
    ids=["rsa1024", "rsa2048", "rsa4096", "p256", "p384", "p521", "secp256k1", "p224", "ed25519"],
)
def test_key_strength(key: object, strong: bool) -> None:
    message = crypto(facts_of(key=key()))  # type: ignore[operator]
    assert (message is None) is strong


def test_weak_rsa_message_names_bits_and_setting() -> None:
    message = crypto(facts_of(key=rsa_key(1024)))
    assert message is not None
    assert "1024 bits, under 2048 (minRsaBits)" in message


def test_min_rsa_bits_is_configurable() -> None:
    facts = facts_of(key=rsa_key(2048))
    assert resource_rules.strong_crypto(facts, PLACE, min_rsa_bits=3072, allow_eddsa=False)


def test_secp256k1_message_names_the_curve() -> None:
    message = crypto(facts_of(key=ec_key("secp256k1")))
    assert message is not None
    assert "curve secp256k1" in message


def test_ed25519_is_refused_unless_allowed() -> None:
    facts = facts_of(key=ed25519_key())
    message = crypto(facts)
    assert message is not None
    assert "Ed25519" in message
    assert "allowEdDSA" in message
    assert crypto(facts, allow_eddsa=True) is None


@pytest.mark.parametrize(
    "algorithm", [hashes.SHA256(), hashes.SHA384(), hashes.SHA512()], ids=lambda a: a.name
)
def test_sha2_signatures_are_strong(algorithm: hashes.HashAlgorithm) -> None:
    assert crypto(facts_of(hash_algorithm=algorithm)) is None


@pytest.mark.parametrize("legacy", ["sha1", "md5"])
def test_sha1_and_md5_signatures_are_weak(legacy: str) -> None:
    message = crypto(facts_from_text(legacy_signed(legacy).pem))
    assert message is not None
    assert f"signed with {legacy.upper()}, which is broken" in message


def test_weak_key_and_weak_hash_are_both_named() -> None:
    message = crypto(facts_from_text(legacy_signed("sha1", key=rsa_key(1024)).pem))
    assert message is not None
    assert "1024 bits" in message
    assert "SHA1" in message


# --- origin-ca-well-formed --------------------------------------------------------------------


def test_well_formed_passes_a_certificate_and_reports_a_refusal() -> None:
    assert resource_rules.well_formed(None, PLACE) is None
    message = resource_rules.well_formed(PrivateKeyMaterialError("private key material"), PLACE)
    assert message is not None
    assert "resource 'ca-2026'" in message


def test_entry_for_keeps_the_problem_instead_of_raising() -> None:
    entry = entry_for(root_ca().key_pem, PLACE)
    assert entry.facts is None
    assert isinstance(entry.problem, PrivateKeyMaterialError)
    good = entry_for(root_ca().pem, PLACE)
    assert good.facts is not None
    assert good.problem is None


# --- zone rules -------------------------------------------------------------------------------


def known(facts: CertificateFacts, name: str, zone_id: str = ZONE) -> zone_rules.KnownEntry:
    return zone_rules.KnownEntry(Place(name, zone_id, f"urn:{name}"), facts)


def coverage(
    entries: list[zone_rules.KnownEntry], pending: tuple[Place, ...] = (), **settings: int
) -> zone_rules.ZoneReport:
    return zone_rules.zone_coverage(
        entries,
        now=NOW,
        min_valid_cas=settings.get("min_valid_cas", 1),
        min_days_remaining=settings.get("min_days_remaining", 30),
        pending=pending,
    )


def test_zone_with_only_a_ca_expiring_in_20_days_is_not_covered() -> None:
    facts = expiring(20 * DAY, "Only Root")
    report = coverage([known(facts, "only")])
    assert len(report.violations) == 1
    message = report.violations[0].message
    assert "zone 023e…c353 keeps 0 CA(s) valid for at least 30 days (minDaysRemaining)" in message
    assert "policy requires 1 (minValidCAs)" in message
    assert "CA 'Only Root'" in message
    assert "expires 2026-12-19, 20 days from now" in message


def test_zone_is_covered_by_a_successor() -> None:
    report = coverage([known(expiring(20 * DAY), "old"), known(expiring(400 * DAY), "new")])
    assert report.violations == ()


@pytest.mark.parametrize(("delta", "covered"), [(30 * DAY, True), (30 * DAY - SECOND, False)])
def test_zone_coverage_boundary(delta: dt.timedelta, covered: bool) -> None:
    assert (coverage([known(expiring(delta), "ca")]).violations == ()) is covered


def test_zone_coverage_counts_distinct_certificates() -> None:
    facts = expiring(400 * DAY)
    report = coverage([known(facts, "a"), known(facts, "b")], min_valid_cas=2)
    assert len(report.violations) == 1


def test_zone_coverage_does_not_count_a_ca_that_is_not_valid_yet() -> None:
    future = facts_of(not_before=NOW + 2 * DAY)
    assert len(coverage([known(future, "future")]).violations) == 1


def test_zone_coverage_judges_each_zone_separately() -> None:
    other = "f" * 32
    report = coverage(
        [known(expiring(400 * DAY), "good", ZONE), known(expiring(5 * DAY), "bad", other)]
    )
    assert len(report.violations) == 1
    assert "zone ffff…ffff" in report.violations[0].message


def test_zone_coverage_leaves_a_zone_with_pending_entries_undecided() -> None:
    pending = (Place("new-ca", ZONE, "urn:new"),)
    report = coverage([known(expiring(5 * DAY), "old")], pending)
    assert report.violations == ()
    assert report.undecided_zones == (ZONE,)


def test_zone_coverage_with_an_entry_of_unknown_zone_decides_nothing() -> None:
    report = coverage([known(expiring(5 * DAY), "old")], (Place("new-ca", None, "urn:new"),))
    assert report.violations == ()


def rotation(
    entries: list[zone_rules.KnownEntry], pending: tuple[Place, ...] = ()
) -> zone_rules.ZoneReport:
    return zone_rules.rotation_ready(entries, now=NOW, warn_days_remaining=90, pending=pending)


def test_ca_in_warning_window_without_successor_is_reported() -> None:
    facts = expiring(60 * DAY, "Aging Root")
    report = rotation([known(facts, "aging")])
    assert len(report.violations) == 1
    violation = report.violations[0]
    assert violation.urn == "urn:aging"
    assert "CA 'Aging Root'" in violation.message
    assert "expires 2027-01-28, 60 days from now" in violation.message
    assert "90-day warning window (warnDaysRemaining)" in violation.message


def test_ca_in_warning_window_with_successor_is_fine() -> None:
    assert (
        rotation([known(expiring(60 * DAY), "aging"), known(expiring(800 * DAY), "new")]).violations
        == ()
    )


def test_a_successor_must_outlive_the_ca() -> None:
    # "shorter" has "aging" as its successor; "aging" has none, the shorter CA does not count.
    shorter = expiring(50 * DAY, "Shorter")
    report = rotation([known(expiring(60 * DAY), "aging"), known(shorter, "shorter")])
    assert [v.urn for v in report.violations] == ["urn:aging"]


def test_a_successor_must_already_be_valid() -> None:
    future = facts_of(common_name="Future", not_before=NOW + 10 * DAY, not_after=NOW + 900 * DAY)
    report = rotation([known(expiring(60 * DAY), "aging"), known(future, "future")])
    assert [v.urn for v in report.violations] == ["urn:aging"]


@pytest.mark.parametrize(("delta", "reported"), [(90 * DAY, False), (90 * DAY - SECOND, True)])
def test_rotation_window_boundary(delta: dt.timedelta, reported: bool) -> None:
    assert bool(rotation([known(expiring(delta), "ca")]).violations) is reported


def test_rotation_leaves_zones_with_pending_entries_undecided() -> None:
    report = rotation([known(expiring(60 * DAY), "aging")], (Place("new", ZONE),))
    assert report.violations == ()
    assert report.undecided_zones == (ZONE,)


def test_the_same_certificate_twice_in_a_zone_is_a_duplicate() -> None:
    facts = facts_of(common_name="Twice Root")
    report = zone_rules.no_duplicates([known(facts, "first"), known(facts, "second")])
    assert len(report.violations) == 1
    violation = report.violations[0]
    assert violation.urn == "urn:second"
    assert "declared twice in zone 023e…c353: resource 'first' and resource 'second'" in (
        violation.message
    )


def test_the_same_certificate_in_two_zones_is_not_a_duplicate() -> None:
    facts = facts_of()
    report = zone_rules.no_duplicates([known(facts, "a", ZONE), known(facts, "b", "e" * 32)])
    assert report.violations == ()


# --- catalogue and config ---------------------------------------------------------------------


def test_catalogue_names_levels_and_descriptions() -> None:
    assert {spec.name: spec.level for spec in ALL_SPECS} == {
        "origin-ca-well-formed": Level.MANDATORY,
        "origin-ca-not-expired": Level.MANDATORY,
        "origin-ca-not-near-expiry": Level.MANDATORY,
        "origin-ca-expiry-warning": Level.ADVISORY,
        "origin-ca-not-yet-valid": Level.MANDATORY,
        "origin-ca-is-root": Level.MANDATORY,
        "origin-ca-strong-crypto": Level.MANDATORY,
        "origin-ca-zone-coverage": Level.MANDATORY,
        "origin-ca-rotation-ready": Level.ADVISORY,
        "origin-ca-no-duplicates": Level.MANDATORY,
        "origin-ca-post-quantum-only": Level.ADVISORY,
        "origin-ca-covers-origins": Level.MANDATORY,
        "origin-ca-policy-config": Level.MANDATORY,
    }
    for spec in ALL_SPECS:
        assert spec.description.startswith("Checks that"), spec.name
        assert spec.remediation


@pytest.mark.parametrize(
    ("policy", "defaults"),
    [
        ("origin-ca-not-near-expiry", {"minDaysRemaining": 30}),
        ("origin-ca-expiry-warning", {"warnDaysRemaining": 90, "maxLifetimeUsedPercent": 67}),
        ("origin-ca-not-yet-valid", {"clockSkewSeconds": 300}),
        ("origin-ca-strong-crypto", {"minRsaBits": 2048, "allowEdDSA": False, "allowMLDSA": True}),
        ("origin-ca-zone-coverage", {"minValidCAs": 1, "minDaysRemaining": 30}),
        ("origin-ca-rotation-ready", {"warnDaysRemaining": 90}),
        ("origin-ca-no-duplicates", {}),
    ],
)
def test_config_defaults(policy: str, defaults: dict[str, object]) -> None:
    spec = SPECS_BY_NAME[policy]
    assert spec.read_config({}) == defaults
    assert {s.key: s.schema()["default"] for s in spec.settings} == defaults


def test_config_accepts_whole_floats_from_the_engine() -> None:
    settings = SPECS_BY_NAME["origin-ca-not-near-expiry"].read_config({"minDaysRemaining": 5.0})
    assert settings == {"minDaysRemaining": 5}
    assert isinstance(settings["minDaysRemaining"], int)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"minDaysRemaining": "30"}, "must be a number"),
        ({"minDaysRemaining": 2.5}, "whole number"),
        ({"minDaysRemaining": -1}, "must be ≥ 0"),
        ({"minDaysRemaining": True}, "must be a number"),
        ({"minDays": 3}, "has no setting minDays .*; its settings are: minDaysRemaining"),
    ],
)
def test_config_errors(config: dict[str, object], match: str) -> None:
    with pytest.raises(PolicyConfigError, match=match):
        SPECS_BY_NAME["origin-ca-not-near-expiry"].read_config(config)


def test_zone_ids_are_shortened_only_when_they_look_like_cloudflare_ids() -> None:
    assert zone(ZONE) == "zone 023e…c353"
    assert zone("staging") == "zone staging"
    assert zone(None) == "(zone not known yet)"
