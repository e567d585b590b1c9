"""Policy-config typos under the real Pulumi CLI fail the preview, naming the typo.

The engine validates the types of the settings a policy declares, but passes unknown policy
names and unknown setting keys through to the pack (pulumi v3.274: ``ReconcilePolicyPackConfig``).
``origin-ca-policy-config`` turns them into a mandatory violation instead of a silent no-op.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.e2e.test_policy_pack_e2e import ca_pem, reported
from tests.fixtures.stack import StackFactory

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)


def test_misspelt_policy_and_setting_fail_the_preview(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    stack.write_ca("current", ca_pem("Current Root", valid_for=700 * DAY, age=30 * DAY))
    run = stack.workspace.preview(
        policy_packs=[policy_pack_dir],
        policy_config={
            "origin-ca-not-expird": "advisory",
            "origin-ca-not-near-expiry": {"minDaysRemainng": 5},
        },
        check=False,
    )
    assert run.returncode != 0, run
    assert "✅" not in run.output
    assert reported(run.output, "mandatory", "origin-ca-policy-config")
    assert "unknown policy 'origin-ca-not-expird' (did you mean origin-ca-not-expired?)" in (
        run.output
    )
    assert "origin-ca-not-near-expiry has no setting minDaysRemainng" in run.output
    assert "its settings are: minDaysRemaining" in run.output
    assert "Exception calling application" not in run.output

    correct = stack.workspace.preview(
        policy_packs=[policy_pack_dir],
        policy_config={"origin-ca-not-near-expiry": {"minDaysRemaining": 5}},
    )
    assert "origin-ca-policy-config" not in correct.output
