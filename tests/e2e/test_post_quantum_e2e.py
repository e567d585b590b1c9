"""Post-quantum ML-DSA root CAs on the real Pulumi CLI, against the emulator: deployed with the
policy pack, one of them from a DER file; then a classical CA beside them warns, and refuses the
deployment in a zone configured post-quantum only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.certs import mldsa_root, root_ca
from tests.e2e.test_policy_pack_e2e import reported
from tests.fixtures.stack import StackFactory

pytestmark = pytest.mark.e2e

POLICY = "origin-ca-post-quantum-only"
OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac"


def test_ml_dsa_roots_deploy_and_a_classical_ca_beside_them_warns_or_refuses(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    stack.write_ca("pq-44", mldsa_root("ML-DSA-44", "PQ 44 Root").pem)
    stack.write_ca("pq-87", mldsa_root("ML-DSA-87", "PQ 87 Root").pem)
    der = mldsa_root("ML-DSA-65", "PQ 65 Root").cert.public_bytes(serialization.Encoding.DER)
    (stack.certs_dir / "pq-65.der").write_bytes(der)

    deployed = stack.workspace.up_with_policies(policy_packs=[policy_pack_dir])
    assert "[mandatory]" not in deployed.output, deployed
    assert "[advisory]" not in deployed.output, deployed
    outputs = [entry["outputs"] for entry in stack.entries_in_state().values()]
    assert sorted(o["keyType"] for o in outputs) == ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]
    # The DER file reached state and the API as PEM.
    assert all(o["certificate"].startswith("-----BEGIN CERTIFICATE-----\n") for o in outputs)
    live = stack.live_entries()
    assert sorted(e["signature"] for e in live) == ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]

    stack.write_ca("classic", root_ca("Classic Root").pem)
    warned = stack.workspace.preview(policy_packs=[policy_pack_dir])
    assert reported(warned.output, "advisory", POLICY), warned
    assert "remove the classical CA(s): CA 'Classic Root'" in warned.output

    mandatory = {POLICY: {"enforcementLevel": "mandatory", "zones": [stack.zone_id]}}
    refused = stack.workspace.preview(
        policy_packs=[policy_pack_dir], policy_config=mandatory, check=False
    )
    assert refused.returncode != 0, refused
    assert reported(refused.output, "mandatory", POLICY), refused
    assert "CA 'Classic Root'" in refused.output

    elsewhere = {POLICY: {"enforcementLevel": "mandatory", "zones": [OTHER_ZONE]}}
    unaffected = stack.workspace.preview(policy_packs=[policy_pack_dir], policy_config=elsewhere)
    assert not reported(unaffected.output, "mandatory", POLICY), unaffected

    # Deployed anyway under the advisory default, the mixed zone keeps warning; made mandatory
    # afterwards, it refuses no deployment that leaves its classical CA alone (its fix, removing
    # that CA, must go through), yet says so.
    stack.workspace.up_with_policies(policy_packs=[policy_pack_dir])
    still = stack.workspace.preview(policy_packs=[policy_pack_dir])
    assert reported(still.output, "advisory", POLICY), still
    assert "ALREADY DEPLOYED" in still.output
    unchanged = stack.workspace.preview(policy_packs=[policy_pack_dir], policy_config=mandatory)
    assert not reported(unchanged.output, "mandatory", POLICY), unchanged
