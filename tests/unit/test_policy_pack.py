"""The pack's policies, run through pulumi-policy's own argument objects for both resource types.

Resource properties are wrapped exactly as the analyzer does (``deserialize_properties`` +
``unknown_checking_proxy``), so unknowns behave as in a real preview. The last tests drive the
pack through pulumi-policy's analyzer servicer (the object the gRPC server calls), which is where
enforcement-level overrides from ``--policy-pack-config`` are applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies import pack
from policies.trust_rules.catalog import DYNAMIC_TYPE, OFFICIAL_TYPE, SPECS_BY_NAME
from tests.certs import NOW, expiring_in, intermediate_ca, root_ca
from tests.unit.test_certificates import key_body_lines

TYPES = [DYNAMIC_TYPE, OFFICIAL_TYPE]
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
POLICIES = {policy.name: policy for policy in pack.build_policies()}
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pack reads the clock once per evaluation through ``pack.utc_now``."""
    monkeypatch.setattr(pack, "utc_now", lambda: NOW)


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::trust::{resource_type}::{name}"


def props_of(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return unknown_checking_proxy(deserialize_properties(dict(values)))


@dataclass
class Outcome:
    violations: list[tuple[str, str | None]] = field(default_factory=list)
    not_applicable: str | None = None

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]


def run_resource(
    policy_name: str,
    resource_type: str,
    certificate: object,
    *,
    zone_id: object = ZONE,
    config: Mapping[str, Any] | None = None,
    name: str = "ca-2026",
    already_deployed: bool = False,
) -> Outcome:
    values: dict[str, Any] = {"zoneId": zone_id, "certificate": certificate}
    if already_deployed:
        values["alreadyDeployed"] = True
    if resource_type == DYNAMIC_TYPE:
        values["__provider"] = "serialized provider"
    args = ResourceValidationArgs(
        resource_type, props_of(values), urn(resource_type, name), name, OPTIONS, None, config
    )
    outcome = Outcome()
    try:
        POLICIES[policy_name].validate(
            args, lambda message, u=None: outcome.violations.append((message, u))
        )
    except _NotApplicableError as exc:
        outcome.not_applicable = exc.reason
    return outcome


def stack_resource(
    resource_type: str, name: str, certificate: object, zone_id: object = ZONE
) -> PolicyResource:
    values = {"zoneId": zone_id, "certificate": certificate, "id": name}
    return PolicyResource(
        resource_type, props_of(values), urn(resource_type, name), name, OPTIONS, None, None, [], {}
    )


def run_stack(
    policy_name: str, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> Outcome:
    outcome = Outcome()
    try:
        POLICIES[policy_name].validate(
            StackValidationArgs(resources, config),
            lambda message, u=None: outcome.violations.append((message, u)),
        )
    except _NotApplicableError as exc:
        outcome.not_applicable = exc.reason
    return outcome


# --- the pack's shape -------------------------------------------------------------------------


def test_pack_has_every_policy_with_metadata() -> None:
    assert set(POLICIES) == set(SPECS_BY_NAME)
    for name, policy in POLICIES.items():
        spec = SPECS_BY_NAME[name]
        assert policy.description.startswith("Checks that")
        assert policy.enforcement_level == EnforcementLevel(spec.level.value)
        assert isinstance(policy.severity, Severity)
        assert policy.remediation_steps
        assert policy.config_schema is not None
        assert set(policy.config_schema.properties) == {s.key for s in spec.settings}


def test_resource_and_stack_policies_are_split_as_designed() -> None:
    stack = {n for n, p in POLICIES.items() if isinstance(p, StackValidationPolicy)}
    resource = {n for n, p in POLICIES.items() if isinstance(p, ResourceValidationPolicy)}
    assert stack == {
        "origin-ca-zone-coverage",
        "origin-ca-rotation-ready",
        "origin-ca-no-duplicates",
        "origin-ca-post-quantum-only",
        "origin-ca-policy-config",
        "origin-ca-covers-origins",
    }
    assert len(resource) == 7


def test_config_schema_publishes_defaults() -> None:
    schema = POLICIES["origin-ca-not-near-expiry"].config_schema
    assert schema is not None
    assert schema.properties["minDaysRemaining"] == {
        "type": "integer",
        "default": 30,
        "description": "Fewest days a CA must still be valid for.",
        "minimum": 0,
    }


# --- resource policies, both types ------------------------------------------------------------


@pytest.mark.parametrize("resource_type", TYPES)
def test_healthy_root_passes_every_resource_policy(resource_type: str) -> None:
    pem = root_ca().pem
    for name, policy in POLICIES.items():
        if isinstance(policy, ResourceValidationPolicy):
            outcome = run_resource(name, resource_type, pem)
            assert outcome == Outcome(), name


@pytest.mark.parametrize("resource_type", TYPES)
def test_near_expiry_is_reported_with_resource_zone_and_threshold(resource_type: str) -> None:
    issued = expiring_in(10 * DAY, "Example Root")
    outcome = run_resource("origin-ca-not-near-expiry", resource_type, issued.pem)
    assert len(outcome.messages) == 1
    message = outcome.messages[0]
    assert "CA 'Example Root' (SHA-256 " in message
    assert "resource 'ca-2026' in zone 023e…c353" in message
    assert "expires 2026-12-09, 10 days from now" in message
    assert "at least 30 days remaining (minDaysRemaining)" in message


@pytest.mark.parametrize("resource_type", TYPES)
def test_config_changes_the_threshold(resource_type: str) -> None:
    pem = expiring_in(10 * DAY).pem
    assert run_resource("origin-ca-not-near-expiry", resource_type, pem).violations
    relaxed = run_resource(
        "origin-ca-not-near-expiry", resource_type, pem, config={"minDaysRemaining": 5.0}
    )
    assert relaxed == Outcome()


@pytest.mark.parametrize("resource_type", TYPES)
def test_intermediate_fails_is_root(resource_type: str) -> None:
    pem = intermediate_ca(root_ca()).pem
    assert run_resource("origin-ca-is-root", resource_type, pem).violations


@pytest.mark.parametrize("resource_type", TYPES)
def test_private_key_fails_well_formed_without_leaking(resource_type: str) -> None:
    issued = root_ca()
    outcome = run_resource("origin-ca-well-formed", resource_type, issued.pem + issued.key_pem)
    assert len(outcome.messages) == 1
    assert "private key material found" in outcome.messages[0]
    for line in key_body_lines(issued.key_pem):
        assert line not in outcome.messages[0]
    others = run_resource("origin-ca-not-expired", resource_type, issued.key_pem)
    assert others.violations == []
    assert others.not_applicable is not None
    assert "origin-ca-well-formed" in others.not_applicable


@pytest.mark.parametrize("resource_type", TYPES)
def test_missing_certificate_fails_well_formed(resource_type: str) -> None:
    args = ResourceValidationArgs(
        resource_type, props_of({"zoneId": ZONE}), urn(resource_type, "x"), "x", OPTIONS, None
    )
    messages: list[str] = []
    POLICIES["origin-ca-well-formed"].validate(args, lambda m, u=None: messages.append(m))
    assert len(messages) == 1
    assert "certificate is missing" in messages[0]


@pytest.mark.parametrize("resource_type", TYPES)
@pytest.mark.parametrize(
    "policy", [n for n, p in POLICIES.items() if isinstance(p, ResourceValidationPolicy)]
)
def test_unknown_certificate_is_not_applicable_during_preview(
    resource_type: str, policy: str
) -> None:
    outcome = run_resource(policy, resource_type, UNKNOWN_STRING_VALUE)
    assert outcome.violations == []
    assert outcome.not_applicable is not None
    assert "not known until apply" in outcome.not_applicable


@pytest.mark.parametrize("resource_type", TYPES)
def test_unknown_zone_still_checks_the_certificate(resource_type: str) -> None:
    outcome = run_resource(
        "origin-ca-not-expired", resource_type, expiring_in(-DAY).pem, zone_id=UNKNOWN_STRING_VALUE
    )
    assert len(outcome.messages) == 1
    assert "(zone not known yet)" in outcome.messages[0]


def test_other_resource_types_are_ignored() -> None:
    outcome = run_resource("origin-ca-well-formed", "aws:s3/bucket:Bucket", "not a certificate")
    assert outcome == Outcome()


# --- stack policies, both types ---------------------------------------------------------------


@pytest.mark.parametrize("resource_type", TYPES)
def test_only_ca_expiring_in_20_days_fails_zone_coverage(resource_type: str) -> None:
    resources = [stack_resource(resource_type, "only", expiring_in(20 * DAY, "Only Root").pem)]
    outcome = run_stack("origin-ca-zone-coverage", resources)
    assert len(outcome.violations) == 1
    assert "zone 023e…c353 keeps 0 CA(s)" in outcome.messages[0]
    assert "CA 'Only Root'" in outcome.messages[0]


def test_zone_coverage_mixes_both_types_in_one_zone() -> None:
    resources = [
        stack_resource(DYNAMIC_TYPE, "old", expiring_in(20 * DAY).pem),
        stack_resource(OFFICIAL_TYPE, "new", expiring_in(500 * DAY, "New Root").pem),
    ]
    assert run_stack("origin-ca-zone-coverage", resources) == Outcome()


def test_zone_coverage_config_overrides_thresholds() -> None:
    resources = [stack_resource(DYNAMIC_TYPE, "only", expiring_in(20 * DAY).pem)]
    assert run_stack("origin-ca-zone-coverage", resources, {"minDaysRemaining": 10}) == Outcome()
    strict = run_stack(
        "origin-ca-zone-coverage", resources, {"minValidCAs": 2, "minDaysRemaining": 10}
    )
    assert len(strict.violations) == 1


@pytest.mark.parametrize("resource_type", TYPES)
def test_duplicates_are_reported_against_the_second_resource(resource_type: str) -> None:
    pem = root_ca().pem
    resources = [stack_resource(resource_type, "a", pem), stack_resource(resource_type, "b", pem)]
    outcome = run_stack("origin-ca-no-duplicates", resources)
    assert [u for _, u in outcome.violations] == [urn(resource_type, "b")]


@pytest.mark.parametrize("resource_type", TYPES)
def test_rotation_ready_flags_a_ca_without_successor(resource_type: str) -> None:
    resources = [stack_resource(resource_type, "aging", expiring_in(60 * DAY).pem)]
    outcome = run_stack("origin-ca-rotation-ready", resources)
    assert [u for _, u in outcome.violations] == [urn(resource_type, "aging")]


def official_outputs(
    name: str,
    certificate: str,
    zone_id: str = ZONE,
    status: str = "active",
    *,
    deployed: bool = False,
) -> PolicyResource:
    """A ``cloudflare:index/customOriginTrustStore`` resource as the official provider leaves it
    in state: Cloudflare's fields under its camelCase names, PEM with Cloudflare's newline."""
    values = {
        "id": f"{name:0>32}"[-32:],
        "zoneId": zone_id,
        "certificate": certificate.rstrip("\n") + "\n",
        "expiresOn": "2027-01-01T00:00:00Z",
        "issuer": "Example Origin",
        "signature": "SHA256WithRSA",
        "status": status,
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    if deployed:  # unchanged by the deployment: the outputs in state carry the upload time
        values["uploadedOn"] = "2026-01-01T00:00:00Z"
    return PolicyResource(
        OFFICIAL_TYPE,
        props_of(values),
        urn(OFFICIAL_TYPE, name),
        name,
        OPTIONS,
        None,
        None,
        [],
        {},
    )


def test_stack_policies_judge_the_official_types_outputs() -> None:
    aging = expiring_in(20 * DAY, "Aging Root").pem
    alone = [official_outputs("aging", aging)]
    coverage = run_stack("origin-ca-zone-coverage", alone)
    assert len(coverage.violations) == 1
    assert "CA 'Aging Root'" in coverage.messages[0]
    assert "minDaysRemaining" in coverage.messages[0]
    rotation = run_stack("origin-ca-rotation-ready", alone)
    assert [u for _, u in rotation.violations] == [urn(OFFICIAL_TYPE, "aging")]

    successor = official_outputs("successor", expiring_in(700 * DAY, "Successor Root").pem)
    assert run_stack("origin-ca-zone-coverage", [*alone, successor]) == Outcome()
    assert run_stack("origin-ca-rotation-ready", [*alone, successor]) == Outcome()

    twice = [official_outputs("a", aging), stack_resource(DYNAMIC_TYPE, "b", aging)]
    duplicates = run_stack("origin-ca-no-duplicates", twice)
    assert [u for _, u in duplicates.violations] == [urn(DYNAMIC_TYPE, "b")]


def test_stack_policy_skips_unknown_entries_and_says_so() -> None:
    resources = [
        stack_resource(DYNAMIC_TYPE, "old", expiring_in(20 * DAY).pem),
        stack_resource(DYNAMIC_TYPE, "incoming", UNKNOWN_STRING_VALUE),
    ]
    outcome = run_stack("origin-ca-zone-coverage", resources)
    assert outcome.violations == []
    assert outcome.not_applicable is not None
    assert "'incoming'" in outcome.not_applicable
    assert "not known until apply" in outcome.not_applicable


def test_stack_policy_with_only_unknown_entries_is_not_applicable() -> None:
    resources = [
        stack_resource(OFFICIAL_TYPE, "incoming", expiring_in(400 * DAY).pem, UNKNOWN_STRING_VALUE)
    ]
    outcome = run_stack("origin-ca-zone-coverage", resources)
    assert outcome.violations == []
    assert outcome.not_applicable is not None
    assert "no trust-store entry is known yet" in outcome.not_applicable


def test_stack_policy_without_entries_is_not_applicable() -> None:
    other = PolicyResource(
        "random:index/randomId:RandomId", props_of({}), "urn:x", "x", OPTIONS, None, None, [], {}
    )
    outcome = run_stack("origin-ca-no-duplicates", [other])
    assert outcome.not_applicable is not None


def test_violations_carry_a_note_about_skipped_entries() -> None:
    pem = root_ca().pem
    resources = [
        stack_resource(DYNAMIC_TYPE, "a", pem),
        stack_resource(DYNAMIC_TYPE, "b", pem),
        stack_resource(DYNAMIC_TYPE, "c", UNKNOWN_STRING_VALUE),
    ]
    outcome = run_stack("origin-ca-no-duplicates", resources)
    assert len(outcome.violations) == 1
    assert "Note: skipped 1 entries" in outcome.messages[0]


# --- through pulumi-policy's analyzer servicer (what the gRPC server runs) ---------------------


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


@pytest.fixture
def servicer() -> Iterator[_PolicyAnalyzerServicer]:
    return _PolicyAnalyzerServicer(
        pack.PACK_NAME, "0.0.1", pack.build_policies(), EnforcementLevel.ADVISORY
    )


def analyze(servicer: _PolicyAnalyzerServicer, resource_type: str, certificate: str) -> Any:
    request = proto.AnalyzeRequest(
        type=resource_type,
        properties=struct({"zoneId": ZONE, "certificate": certificate}),
        urn=urn(resource_type, "ca"),
        name="ca",
    )
    return servicer.Analyze(request, None)


def levels(response: Any) -> dict[str, int]:
    return {d.policyName: d.enforcementLevel for d in response.diagnostics}


@pytest.mark.parametrize("resource_type", TYPES)
def test_servicer_reports_mandatory_violation(
    servicer: _PolicyAnalyzerServicer, resource_type: str
) -> None:
    response = analyze(servicer, resource_type, expiring_in(10 * DAY).pem)
    assert levels(response) == {
        "origin-ca-not-near-expiry": proto.MANDATORY,
        "origin-ca-expiry-warning": proto.ADVISORY,
    }


@pytest.mark.parametrize("resource_type", TYPES)
def test_servicer_applies_enforcement_and_threshold_config(
    servicer: _PolicyAnalyzerServicer, resource_type: str
) -> None:
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "origin-ca-not-near-expiry": proto.PolicyConfig(
                    enforcementLevel=proto.ADVISORY, properties=struct({})
                ),
                "origin-ca-expiry-warning": proto.PolicyConfig(
                    enforcementLevel=proto.DISABLED, properties=struct({})
                ),
            }
        ),
        None,
    )
    response = analyze(servicer, resource_type, expiring_in(10 * DAY).pem)
    assert levels(response) == {"origin-ca-not-near-expiry": proto.ADVISORY}
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "origin-ca-not-near-expiry": proto.PolicyConfig(
                    enforcementLevel=proto.MANDATORY, properties=struct({"minDaysRemaining": 5})
                ),
            }
        ),
        None,
    )
    assert "origin-ca-not-near-expiry" not in levels(
        analyze(servicer, resource_type, expiring_in(10 * DAY).pem)
    )


def test_servicer_turns_unknowns_into_not_applicable(servicer: _PolicyAnalyzerServicer) -> None:
    response = analyze(servicer, DYNAMIC_TYPE, UNKNOWN_STRING_VALUE)
    assert list(response.diagnostics) == []
    assert {n.policy_name for n in response.not_applicable} >= {
        "origin-ca-well-formed",
        "origin-ca-is-root",
    }


def test_servicer_runs_stack_policies(servicer: _PolicyAnalyzerServicer) -> None:
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=OFFICIAL_TYPE,
                properties=struct({"zoneId": ZONE, "certificate": expiring_in(20 * DAY).pem}),
                urn=urn(OFFICIAL_TYPE, "only"),
                name="only",
            )
        ]
    )
    response = servicer.AnalyzeStack(request, None)
    assert levels(response) == {
        "origin-ca-zone-coverage": proto.MANDATORY,
        "origin-ca-rotation-ready": proto.ADVISORY,
    }


def test_a_zone_short_of_valid_cas_is_refused_only_when_the_deployment_changes_it() -> None:
    aging = official_outputs("aging", expiring_in(20 * DAY, "Aging Root").pem, deployed=True)
    other_zone = official_outputs("other", root_ca("Other").pem, "e" * 32)
    untouched = run_stack("origin-ca-zone-coverage", [aging, other_zone])
    assert untouched.violations == []
    assert untouched.not_applicable is not None
    assert "already keeps only 0 CA(s) valid for 30 days" in untouched.not_applicable
    assert "this deployment does not change it, so it is not refused" in untouched.not_applicable
    # The same zone with a new (or replacing) entry in it is judged, and still fails:
    short = official_outputs("short", expiring_in(25 * DAY, "Short Root").pem)
    assert len(run_stack("origin-ca-zone-coverage", [aging, short]).violations) == 1
    # ... and its fix goes through.
    successor = official_outputs("successor", root_ca("Successor Root").pem)
    assert run_stack("origin-ca-zone-coverage", [aging, successor]).violations == []


@pytest.mark.parametrize("leaving", ["pending_deletion", "deleted", "expired"])
def test_an_entry_being_deleted_does_not_cover_its_zone(leaving: str) -> None:
    aging = official_outputs("aging", expiring_in(20 * DAY, "Aging Root").pem)
    going = official_outputs("going", expiring_in(700 * DAY, "Going Root").pem, status=leaving)

    coverage = run_stack("origin-ca-zone-coverage", [aging, going])
    rotation = run_stack("origin-ca-rotation-ready", [aging, going])

    assert len(coverage.violations) == 1
    assert "Going Root" not in coverage.messages[0]
    assert [u for _, u in rotation.violations] == [urn(OFFICIAL_TYPE, "aging")]


# --- config typos (the engine passes them through; origin-ca-policy-config names them) ---------


def test_config_policy_names_unknown_policies_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    received = {
        "all": [],
        "origin-ca-not-expird": [],
        "origin-ca-not-near-expiry": ["minDaysRemainng"],
        "origin-ca-zone-coverage": ["minValidCAs"],
    }
    monkeypatch.setattr(pack, "received_config", received)
    messages = run_stack("origin-ca-policy-config", []).messages
    assert len(messages) == 2
    assert (
        "unknown policy 'origin-ca-not-expird' (did you mean origin-ca-not-expired?)"
        in (messages[0])
    )
    assert "origin-ca-zone-coverage" in messages[0]  # the valid names are listed
    assert "has no setting minDaysRemainng (did you mean minDaysRemaining?)" in messages[1]
    assert "its settings are: minDaysRemaining" in messages[1]


def test_config_policy_passes_a_correct_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pack, "received_config", {"origin-ca-not-near-expiry": ["minDaysRemaining"]}
    )
    assert run_stack("origin-ca-policy-config", []).violations == []


def test_a_bad_key_makes_its_policy_not_applicable_instead_of_crashing() -> None:
    outcome = run_resource(
        "origin-ca-not-near-expiry", DYNAMIC_TYPE, root_ca().pem, config={"minDays": 3}
    )
    assert outcome.violations == []
    assert outcome.not_applicable is not None
    assert "has no setting minDays" in outcome.not_applicable
    assert "origin-ca-policy-config reports it" in outcome.not_applicable


def test_configure_records_every_name_the_engine_sends(
    servicer: _PolicyAnalyzerServicer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_PolicyAnalyzerServicer, "Configure", _PolicyAnalyzerServicer.Configure)
    monkeypatch.setattr(pack, "received_config", {})
    monkeypatch.setattr(pack, "received_levels", {})
    pack._record_configure()
    pack._record_configure()  # wrapping twice is harmless
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "origin-ca-not-expird": proto.PolicyConfig(
                    enforcementLevel=proto.ADVISORY, properties=struct({})
                ),
                "origin-ca-not-near-expiry": proto.PolicyConfig(
                    enforcementLevel=proto.ADVISORY,
                    properties=struct({"minDaysRemaining": 5, "minDaysRemainng": 5}),
                ),
                "origin-ca-expiry-warning": proto.PolicyConfig(
                    enforcementLevel=proto.DISABLED, properties=struct({})
                ),
            }
        ),
        None,
    )
    assert pack.received_config == {
        "origin-ca-not-expird": [],
        "origin-ca-not-near-expiry": ["minDaysRemaining", "minDaysRemainng"],
        "origin-ca-expiry-warning": [],
    }
    # The level in effect, for policies that report a problem a deployment left unchanged as
    # a warning when advisory and as a note when blocking (origin-ca-post-quantum-only).
    assert pack.received_levels["origin-ca-expiry-warning"] == "disabled"
    assert pack.received_levels["origin-ca-not-near-expiry"] == "advisory"
    response = analyze(servicer, DYNAMIC_TYPE, expiring_in(10 * DAY).pem)
    # pulumi-policy's own Configure still ran: the warning is disabled; the policy with the bad
    # key is not applicable (no verdict from a half-read config) rather than crashing.
    assert levels(response) == {}
    assert len(run_stack("origin-ca-policy-config", []).violations) == 2


def test_a_deployed_unchanged_ca_in_the_window_is_reported_not_refused() -> None:
    aging = expiring_in(20 * DAY, "Aging Root").pem
    new = run_resource("origin-ca-not-near-expiry", DYNAMIC_TYPE, aging)
    assert len(new.violations) == 1
    assert "this CA is too short-lived to deploy" in new.violations[0][0]

    kept = run_resource("origin-ca-not-near-expiry", DYNAMIC_TYPE, aging, already_deployed=True)
    assert kept.violations == []
    assert kept.not_applicable is not None
    assert "already deployed and not changed by this deployment" in kept.not_applicable
    loud = run_resource("origin-ca-expiry-warning", DYNAMIC_TYPE, aging, already_deployed=True)
    [(message, _)] = loud.violations
    assert message.startswith("ALREADY DEPLOYED: CA 'Aging Root'")
    assert "20 days left" in message, "a CA valid for 20 days has 20 days left, not 19"

    expired = expiring_in(-2 * DAY, "Gone Root").pem
    still = run_resource("origin-ca-not-expired", DYNAMIC_TYPE, expired, already_deployed=True)
    assert still.violations == []
    gone = run_resource("origin-ca-expiry-warning", DYNAMIC_TYPE, expired, already_deployed=True)
    [(message, _)] = gone.violations
    assert "expired" in message
    assert message.startswith("ALREADY DEPLOYED")
    assert len(run_resource("origin-ca-not-expired", DYNAMIC_TYPE, expired).violations) == 1
