"""origin-ca-covers-origins on the real Pulumi CLI: a rotation to a new root before the origin's
certificate is reissued is refused at preview; after the reissue the same rotation passes, with
the chain declared as a path relative to the policy pack's folder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.certs import Issued, origin_intermediate, origin_leaf, origin_root
from tests.e2e.test_policy_pack_e2e import reported
from tests.fixtures.stack import StackFactory

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)
HOST = "origin.example.com"
POLICY = "origin-ca-covers-origins"


def dated_root(name: str) -> Issued:
    now = dt.datetime.now(dt.UTC)
    return origin_root(name, not_before=now - 30 * DAY, not_after=now + 3650 * DAY)


def served_by(root: Issued) -> str:
    """The chain the origin presents: a 90-day leaf via an intermediate of ``root``."""
    now = dt.datetime.now(dt.UTC)
    issuing = origin_intermediate(root, not_before=now - 30 * DAY, not_after=now + 1000 * DAY)
    leaf = origin_leaf(issuing, HOST, not_before=now - DAY, not_after=now + 90 * DAY)
    return leaf.pem + issuing.pem


def test_rotation_before_the_reissue_is_refused_and_after_it_passes(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    old, new = dated_root("Corp Root 2024"), dated_root("Corp Root 2027")
    stack.write_ca("root-2024", old.pem)

    def config(chain: str) -> dict[str, object]:
        return {POLICY: {"origins": [{"zoneId": stack.zone_id, "hostname": HOST, "chain": chain}]}}

    serving_old = served_by(old)
    stack.workspace.up_with_policies(
        policy_packs=[policy_pack_dir], policy_config=config(serving_old)
    )

    (stack.certs_dir / "root-2024.pem").unlink()
    stack.write_ca("root-2027", new.pem)
    refused = stack.workspace.preview(
        policy_packs=[policy_pack_dir], policy_config=config(serving_old), check=False
    )
    assert refused.returncode != 0, refused
    assert reported(refused.output, "mandatory", POLICY)
    assert f"origin {HOST} in zone" in refused.output
    assert (
        "upload 'CN=Corp Root 2024,O=Example Origin', which issued origin.example.com's chain"
        in (refused.output)
    )

    # Reissued from the new root; declared as a file path, relative to the pack's folder.
    chain_file = stack.workspace.project_dir / "chains" / "origin.pem"
    chain_file.parent.mkdir()
    chain_file.write_text(served_by(new))
    relative = os.path.relpath(chain_file, policy_pack_dir)
    safe = stack.workspace.preview(policy_packs=[policy_pack_dir], policy_config=config(relative))
    assert POLICY not in safe.output
