"""The policy pack under the real Pulumi CLI: `pulumi preview --policy-pack policies`.

The pack reads the real clock here, so certificates are dated from the real clock too.
Our provider's own ``check`` refuses malformed and non-root input before any policy runs, so
``origin-ca-well-formed`` and ``origin-ca-is-root`` are shown on a provider that checks nothing
(as a provider leaving validation to the API would), registered under the same type token.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from policies.trust_rules.resource_type import DYNAMIC_TYPE
from scripts.certs import CertSpec, build, intermediate_ca, leaf, root_ca, rsa_key
from tests.fixtures.pulumi import ProjectFactory
from tests.fixtures.stack import StackFactory, TrustStoreStack

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)


def ca_pem(
    name: str, *, valid_for: dt.timedelta, age: dt.timedelta = 365 * DAY, **spec: object
) -> str:
    now = dt.datetime.now(dt.UTC)
    return build(
        CertSpec(common_name=name, not_before=now - age, not_after=now + valid_for), **spec
    ).pem


@pytest.fixture
def stack(trust_store_stack: StackFactory) -> TrustStoreStack:
    return trust_store_stack()


def reported(output: str, level: str, policy: str, resource: str | None = None) -> bool:
    """Whether the CLI printed ``[level] [severity: …]  policy  (type: resource)``."""
    pattern = rf"\[{level}\] (\[severity: \w+\] )? *{re.escape(policy)}"
    if resource is not None:
        pattern += rf" +\({re.escape(DYNAMIC_TYPE)}: {re.escape(resource)}\)"
    return re.search(pattern, output) is not None


def test_clean_stack_passes(stack: TrustStoreStack, policy_pack_dir: Path) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    run = stack.workspace.preview(policy_packs=[policy_pack_dir])
    assert "[mandatory]" not in run.output
    assert "[advisory]" not in run.output


def test_expired_ca_fails_not_expired(stack: TrustStoreStack, policy_pack_dir: Path) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("old", ca_pem("Old Root", valid_for=-3 * DAY))
    run = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert run.returncode != 0, run
    assert reported(run.output, "mandatory", "origin-ca-not-expired", stack.resource_name("old"))
    assert "CA 'Old Root'" in run.output
    assert "days ago" in run.output


def test_near_expiry_threshold_comes_from_policy_config(
    stack: TrustStoreStack, policy_pack_dir: Path
) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("soon", ca_pem("Soon Root", valid_for=10 * DAY + dt.timedelta(hours=12)))
    failed = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert failed.returncode != 0, failed
    assert reported(
        failed.output, "mandatory", "origin-ca-not-near-expiry", stack.resource_name("soon")
    )
    assert "10 days from now" in failed.output
    assert "(minDaysRemaining)" in failed.output
    relaxed = stack.workspace.preview(
        policy_packs=[policy_pack_dir],
        policy_config={"origin-ca-not-near-expiry": {"minDaysRemaining": 5}},
    )
    assert "origin-ca-not-near-expiry" not in relaxed.output


def test_enforcement_level_comes_from_policy_config(
    stack: TrustStoreStack, policy_pack_dir: Path
) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("soon", ca_pem("Soon Root", valid_for=10 * DAY + dt.timedelta(hours=12)))
    run = stack.workspace.preview(
        policy_packs=[policy_pack_dir],
        policy_config={"origin-ca-not-near-expiry": {"enforcementLevel": "advisory"}},
    )
    assert reported(
        run.output, "advisory", "origin-ca-not-near-expiry", stack.resource_name("soon")
    )
    assert "[mandatory]" not in run.output


def test_not_yet_valid_ca_fails(stack: TrustStoreStack, policy_pack_dir: Path) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("future", ca_pem("Future Root", valid_for=900 * DAY, age=-2 * DAY))
    run = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert run.returncode != 0, run
    assert reported(
        run.output, "mandatory", "origin-ca-not-yet-valid", stack.resource_name("future")
    )
    assert "(clockSkewSeconds)" in run.output


def test_weak_key_fails_strong_crypto(stack: TrustStoreStack, policy_pack_dir: Path) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("weak", ca_pem("Weak Root", valid_for=700 * DAY, key=rsa_key(1024)))
    run = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert run.returncode != 0, run
    assert reported(run.output, "mandatory", "origin-ca-strong-crypto", stack.resource_name("weak"))
    assert "1024 bits, under 2048 (minRsaBits)" in run.output


def test_only_ca_expiring_in_20_days_fails_zone_coverage(
    stack: TrustStoreStack, policy_pack_dir: Path
) -> None:
    stack.write_ca("only", ca_pem("Only Root", valid_for=20 * DAY + dt.timedelta(hours=12)))
    # Leave the per-certificate threshold aside to see the zone policy on its own.
    run = stack.workspace.preview(
        policy_packs=[policy_pack_dir],
        policy_config={"origin-ca-not-near-expiry": "advisory"},
        check=False,
    )
    assert run.returncode != 0, run
    assert reported(run.output, "mandatory", "origin-ca-zone-coverage")
    assert "keeps 0 CA(s) valid for at least 30 days" in run.output
    assert "CA 'Only Root'" in run.output


def test_up_with_a_violation_creates_nothing_in_the_emulator(
    stack: TrustStoreStack, policy_pack_dir: Path
) -> None:
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    stack.write_ca("old", ca_pem("Old Root", valid_for=-3 * DAY))

    run = stack.workspace.up_with_policies(policy_packs=[policy_pack_dir], check=False)

    assert run.returncode != 0, run
    assert reported(run.output, "mandatory", "origin-ca-not-expired", stack.resource_name("old"))
    assert stack.live_entries() == []
    assert [r for r in stack.api_requests() if r["method"] != "GET"] == []


LENIENT_PROGRAM = """
    import json
    import pathlib

    from pulumi.dynamic import CreateResult, Resource, ResourceProvider


    class LenientProvider(ResourceProvider):
        \"\"\"Checks nothing: leaves every judgement to the API (and to the policy pack).\"\"\"

        def create(self, props):
            return CreateResult("0" * 32, props)


    class CustomOriginTrustStore(Resource, module="cloudflare", name="CustomOriginTrustStore"):
        def __init__(self, name, props):
            super().__init__(LenientProvider(), name, props)


    ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
    for name, pem in json.loads(pathlib.Path("inputs.json").read_text()).items():
        CustomOriginTrustStore(name, {"zoneId": ZONE, "certificate": pem})
"""


def test_malformed_and_non_root_input_fail_well_formed_and_is_root(
    pulumi_project: ProjectFactory, policy_pack_dir: Path
) -> None:
    root = root_ca("Example Root")
    intermediate = intermediate_ca(root)
    inputs = {
        "good": ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY),
        "bundle": root.pem + intermediate.pem,
        "with-key": root.pem + root.key_pem,
        "garbage": "not a certificate at all",
        "intermediate": intermediate.pem,
        "leaf": leaf(intermediate).pem,
    }
    workspace = pulumi_project(LENIENT_PROGRAM, files={"inputs.json": json.dumps(inputs)})

    run = workspace.preview(policy_packs=[policy_pack_dir], check=False)

    assert run.returncode != 0, run
    for name in ("bundle", "with-key", "garbage"):
        assert reported(run.output, "mandatory", "origin-ca-well-formed", name), name
    for name in ("intermediate", "leaf"):
        assert reported(run.output, "mandatory", "origin-ca-is-root", name), name
    assert not reported(run.output, "mandatory", "origin-ca-well-formed", "good")
    assert not reported(run.output, "mandatory", "origin-ca-is-root", "good")
    assert "private key material found" in run.output
    key_body = root.key_pem.splitlines()[1]
    assert key_body not in run.output
