"""Many zones in one stack, on the real engine (issue 15): a single-zone stack moves into
``zones`` without a replacement, and zones are added, moved and removed, and files renamed,
touching nothing else.

Witnesses: Pulumi's structured resource changes (no replacement, no delete of an untouched
entry), the state's URNs and parents, and the emulator's request log (which zone each write hit).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from policies.trust_rules.resource_type import DYNAMIC_TYPE
from provider.zone_component import COMPONENT_TYPE, component_name
from scripts.certs import CertSpec, build, root_ca
from tests.fixtures.stack import StackFactory, TrustStoreStack

pytestmark = pytest.mark.e2e

ZONE_B = "9a7806061c88ada191ed06f989cc3dac"
ZONE_C = "5e1c9ab1d2f04c6e8a7b3d2c1f0e9a8b"
DAY = dt.timedelta(days=1)


def config(stack: TrustStoreStack, *args: str) -> None:
    stack.workspace.run("config", *args, "--stack", stack.workspace.stack)


def set_zones(stack: TrustStoreStack, zones: dict[str, str] | list[str]) -> None:
    """Replace ``zones`` the documented way: `pulumi config set --path`, key by key."""
    stack.workspace.run("config", "rm", "zones", "--stack", stack.workspace.stack, check=False)
    if isinstance(zones, list):
        for index, zone in enumerate(zones):
            config(stack, "set", "--path", f"zones[{index}]", zone)
        return
    for zone, folder in zones.items():
        config(stack, "set", "--path", f"zones.{zone}", folder)


def writes(stack: TrustStoreStack) -> list[tuple[str, str]]:
    """(method, zone) of each successful POST or DELETE since the log was cleared."""
    return sorted(
        (r["method"], r["path"].split("/")[4])
        for r in stack.api_requests()
        if r["method"] != "GET" and (r["status"] or r.get("applied_status")) == 200
    )


def entry_urns(stack: TrustStoreStack) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in stack.workspace.resources(DYNAMIC_TYPE)}


def ids_of(stack: TrustStoreStack, zone: str) -> set[str]:
    return {e["id"] for e in stack.live_entries(zone) if e["status"] == "active"}


def test_zones_are_added_moved_and_removed_and_files_renamed_without_touching_the_rest(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    zone_a = stack.zone_id
    stack.write_ca("a1", root_ca("Zone A Root 1").pem)
    stack.write_ca("a2", root_ca("Zone A Root 2").pem)
    stack.workspace.up()
    before = entry_urns(stack)
    deployed_a = ids_of(stack, zone_a)
    assert len(deployed_a) == 2
    # The single form keeps its entries at the stack's root: URNs as they always were.
    assert all(r.get("parent", "").endswith("pulumi:pulumi:Stack::trust-store-test") for r in
               before.values()), before  # fmt: skip

    # 1. Into `zones`, adding zone B with its own folder: zone A's entries move under their
    #    component by alias (no replacement, no API call); only zone B's CA is uploaded.
    (stack.workspace.project_dir / "cas-b").mkdir()
    (stack.workspace.project_dir / "cas-b" / "b1.pem").write_text(root_ca("Zone B Root").pem)
    config(stack, "rm", "zoneId")
    set_zones(stack, {zone_a: "cas", ZONE_B: "cas-b"})
    stack.control.clear_requests()
    moved = stack.workspace.up()
    assert moved.changes == {"same": 3, "create": 3}, moved  # stack + 2 kept; 2 zones + B's CA
    assert writes(stack) == [("POST", ZONE_B)]
    assert ids_of(stack, zone_a) == deployed_a
    after = entry_urns(stack)
    component_urns = {r["urn"] for r in stack.workspace.resources(COMPONENT_TYPE)}
    assert {u.rsplit("::", 1)[1] for u in component_urns} == {
        component_name(zone_a),
        component_name(ZONE_B),
    }
    assert {r["parent"] for r in after.values()} == component_urns
    assert {u.rsplit("::", 1)[1] for u in after} == {
        *(u.rsplit("::", 1)[1] for u in before),
        stack.resource_name("../cas-b/b1", ZONE_B),
    }, "entry names are unchanged; only the parent moved"
    zones = moved.outputs["zones"]
    assert zones[zone_a]["usableCount"] == 2
    assert set(zones[zone_a]["entryIds"].values()) == deployed_a
    assert zones[ZONE_B]["earliestExpiry"].endswith("Z")

    # The policy pack judges the entries inside components as before, naming the entry.
    now = dt.datetime.now(dt.UTC)
    soon = CertSpec(common_name="Soon Root", not_before=now - DAY * 300, not_after=now + DAY * 10)
    soon_file = stack.workspace.project_dir / "cas-b" / "soon.pem"
    soon_file.write_text(build(soon).pem)
    judged = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert judged.returncode != 0, judged
    soon_name = stack.resource_name("../cas-b/soon", ZONE_B)
    assert re.search(
        rf"\[mandatory\] (\[severity: \w+\] )? *origin-ca-not-near-expiry +\({DYNAMIC_TYPE}:"
        rf" {soon_name}\)",
        judged.output,
    ), judged
    assert f"({COMPONENT_TYPE}: " not in judged.output, "a component is never judged"
    soon_file.unlink()

    # 2. Renaming files and adding zone C (the shared folder's CAs too) touch only zone C.
    (stack.certs_dir / "a1.pem").rename(stack.certs_dir / "renamed.pem")
    set_zones(stack, {zone_a: "", ZONE_B: "cas-b", ZONE_C: ""})
    stack.workspace.set_config("certificatesDir", "cas")
    stack.control.clear_requests()
    added = stack.workspace.up()
    assert added.changes == {"same": 6, "create": 3}, added
    assert writes(stack) == [("POST", ZONE_C), ("POST", ZONE_C)]

    # 3. Zone B moves to the shared folder: its new CAs go up before its old one goes.
    set_zones(stack, [zone_a, ZONE_B, ZONE_C])
    stack.control.clear_requests()
    rotated = stack.workspace.up()
    assert rotated.changes == {"same": 8, "create": 2, "delete": 1}, rotated
    assert writes(stack) == [("DELETE", ZONE_B), ("POST", ZONE_B), ("POST", ZONE_B)]
    order = [r["method"] for r in stack.api_requests() if r["method"] != "GET"]
    assert order.index("DELETE") > max(i for i, m in enumerate(order) if m == "POST")

    # 4. Removing zone C would leave it without a CA: refused, naming the zone, nothing touched
    #    anywhere; its advice, followed, empties zone C alone.
    set_zones(stack, [zone_a, ZONE_B])
    stack.control.clear_requests()
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert f"from zone {ZONE_C}: it is the zone's last usable CA" in refused.output, refused
    assert "Traceback" not in refused.output
    assert [w for w in writes(stack) if w[1] != ZONE_C] == []
    assert len(ids_of(stack, ZONE_C)) == 1, "exactly one CA kept in zone C"
    stack.workspace.set_config("allowEmptyZone", "true")
    stack.control.clear_requests()
    removed = stack.workspace.up()
    assert removed.changes.get("replace", 0) == 0, removed
    assert {z for _, z in writes(stack)} == {ZONE_C}
    assert ids_of(stack, ZONE_C) == set()
    assert ids_of(stack, zone_a) == deployed_a
    assert set(removed.outputs["zones"]) == {zone_a, ZONE_B}
