"""``audit --stack-state`` against a real ``pulumi stack export`` of the repo's stack program, on
a real emulator process, with the CLI as a user runs it (a child process, credentials from the
environment). Entries are added and deleted out of band, as by hand in the dashboard."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from provider.client import TrustStoreClient
from provider.credentials import ApiToken
from scripts.certs import NOW, root_ca
from tests.common import ZONE_ID, run_audit
from tests.fixtures.stack import API_TOKEN, StackFactory

pytestmark = pytest.mark.e2e


def audit(state: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_audit("--stack-state", str(state), "--json", "--now", NOW.isoformat(), env=env)


def test_audit_marks_drift_against_a_real_exported_stack(
    trust_store_stack: StackFactory, tmp_path: Path
) -> None:
    stack = trust_store_stack()
    stack.write_ca("kept", root_ca("Kept Root").pem)
    stack.write_ca("dropped", root_ca("Dropped Root").pem)
    stack.workspace.up()
    exported = stack.workspace.export()
    state = tmp_path / "prod-state.json"
    state.write_text(json.dumps(exported))
    records = stack.entries_in_state()
    kept = records[stack.resource_name("kept")]
    dropped = records[stack.resource_name("dropped")]

    with TrustStoreClient(
        ApiToken(API_TOKEN), base_url=stack.emulator.base_url, pacer=None
    ) as client:
        by_hand = client.upload(ZONE_ID, root_ca("Hand Root").pem)
        client.delete(ZONE_ID, dropped["id"])
    stack.control.clear_requests()

    env = {"CLOUDFLARE_BASE_URL": stack.emulator.base_url, "CLOUDFLARE_API_TOKEN": API_TOKEN}
    done = audit(state, env)
    assert done.returncode == 1, done.stdout + done.stderr  # the lost entry is mandatory
    assert API_TOKEN not in done.stdout + done.stderr
    document = json.loads(done.stdout)
    (zone,) = document["zones"]
    entries = {entry["id"]: entry for entry in zone["entries"]}
    assert set(entries) == {kept["id"], by_hand.id}
    stack_urn = kept["urn"]
    project_stack = stack_urn.removeprefix("urn:pulumi:").split("::")
    assert entries[kept["id"]]["managedBy"] == {
        "stack": f"{project_stack[1]}/{project_stack[0]}",
        "resource": stack.resource_name("kept"),
        "urn": stack_urn,
        "stateFile": str(state),
    }
    assert entries[by_hand.id]["managedBy"] is None
    findings = {(f["policy"], f["entryId"]) for f in document["findings"]}
    assert ("origin-ca-unmanaged-entry", by_hand.id) in findings
    assert ("origin-ca-missing-entry", dropped["id"]) in findings
    missing = next(f for f in document["findings"] if f["policy"] == "origin-ca-missing-entry")
    assert stack.resource_name("dropped") in missing["message"]
    # Read-only: the audit sent nothing but GET requests.
    assert {r["method"] for r in stack.control.requests()} == {"GET"}

    # The advice, followed: refresh then up restores the entry, and the audit is clean of it.
    stack.workspace.refresh()
    stack.workspace.up()
    state.write_text(json.dumps(stack.workspace.export()))
    again = audit(state, env)
    policies = {f["policy"] for f in json.loads(again.stdout)["findings"]}
    assert "origin-ca-missing-entry" not in policies
    assert again.returncode == 0, again.stdout
