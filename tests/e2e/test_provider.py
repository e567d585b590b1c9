"""The trust store as code, end to end: the repo's stack program on the real Pulumi CLI, its
dynamic provider in the engine's provider process, and ``python -m emulator`` as Cloudflare.

The emulator's request log is the witness: it shows how many API calls each command made and
in which order entries were created and deleted.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes

from provider.client import TrustStoreClient
from provider.credentials import ApiToken
from provider.resource import TYPE_TOKEN
from tests.certs import expiring_in, root_ca
from tests.fixtures.stack import API_TOKEN, StackFactory, TrustStoreStack

pytestmark = pytest.mark.e2e

OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac"
STATE_INPUTS = {"zoneId", "certificate"}
STATE_OUTPUTS = {
    "expiresOn",
    "issuer",
    "signature",
    "status",
    "uploadedOn",
    "updatedAt",
    "fingerprintSha256",
    "subject",
    "notBefore",
    "notAfter",
    "keyType",
}


def api(stack: TrustStoreStack) -> TrustStoreClient:
    """A client of our own, acting out of band (as someone in the dashboard would)."""
    return TrustStoreClient(ApiToken(API_TOKEN), base_url=stack.emulator.base_url)


def calls(stack: TrustStoreStack) -> list[tuple[str, str]]:
    """(method, zone) of each API request since the log was last cleared."""
    return [(r["method"], r["path"].split("/")[4]) for r in stack.api_requests()]


def live_counts_over_time(requests: list[dict[str, Any]], zone: str, start: int) -> list[int]:
    """The zone's number of entries after each successful POST or DELETE, from ``start``."""
    counts, live = [], start
    for request in requests:
        if request["path"].split("/")[4] != zone:
            continue
        status = request["status"] or request.get("applied_status")
        if status == 200 and request["method"] == "POST":
            live += 1
        elif status == 200 and request["method"] == "DELETE":
            live -= 1
        counts.append(live)
    return counts


def test_up_creates_one_entry_per_ca_with_one_request_each_and_a_second_up_calls_nothing(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    first = root_ca("First Root")
    stack.write_ca("first", first.pem)

    up = stack.workspace.up()
    assert up.changes == {"create": 2}, up  # the stack and the entry
    assert calls(stack) == [("POST", stack.zone_id)]

    [entry] = stack.workspace.resources(TYPE_TOKEN)
    assert entry["type"] == "pulumi-python:dynamic/cloudflare:CustomOriginTrustStore"
    assert set(entry["inputs"]) >= STATE_INPUTS, entry["inputs"]
    assert set(entry["outputs"]) >= STATE_OUTPUTS, entry["outputs"]
    assert entry["outputs"]["status"] == "active"
    assert entry["outputs"]["fingerprintSha256"] == first.cert.fingerprint(hashes.SHA256()).hex()
    assert entry["outputs"]["subject"] == "CN=First Root,O=Example Origin"
    # State holds a reference to the provider class, not a copy of its code or any setting.
    pickled = base64.b64decode(entry["inputs"]["__provider"])
    assert b"provider.resource" in pickled
    assert b"CustomOriginTrustStoreProvider" in pickled
    assert len(pickled) < 200, pickled
    outputs = stack.workspace.outputs()
    assert outputs["entries"][stack.resource_name("first")] == {
        "id": entry["id"],
        "status": "active",
        "expiresOn": entry["outputs"]["expiresOn"],
        "fingerprintSha256": entry["outputs"]["fingerprintSha256"],
        "subject": "CN=First Root,O=Example Origin",
        "keyType": "RSA 2048",
    }

    stack.write_ca("second", root_ca("Second Root").pem)
    stack.write_ca("third", root_ca("Third Root").pem)
    stack.control.clear_requests()
    more = stack.workspace.up()
    assert more.changes == {"create": 2, "same": 2}, more
    assert calls(stack) == [("POST", stack.zone_id)] * 2
    assert len(stack.live_entries()) == 3

    stack.control.clear_requests()
    again = stack.workspace.up()
    assert again.changes == {"same": 4}, again
    assert calls(stack) == [], "an up without changes must not call the API"

    # Line endings and surrounding whitespace are not a change of certificate.
    messy = "\r\n".join(first.pem.strip().splitlines()) + "\r\n\r\n   "
    stack.write_ca("first", "\n  " + messy)
    unchanged = stack.workspace.up()
    assert unchanged.changes == {"same": 4}, unchanged
    assert calls(stack) == []

    stack.workspace.set_config("allowEmptyZone", "true")
    stack.workspace.up()  # stores the opt-in with the stack, where destroy reads it
    stack.control.clear_requests()
    destroy = stack.workspace.destroy()
    assert destroy.changes == {"delete": 4}, destroy
    deletes = [call for call in calls(stack) if call[0] == "DELETE"]
    assert deletes == [("DELETE", stack.zone_id)] * 3
    assert stack.live_entries() == []


def test_rotation_and_zone_move_create_the_new_entry_before_deleting_the_old(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    stack.write_ca("origin", root_ca("Origin Root 2025").pem)
    stack.workspace.up()
    [old] = stack.live_entries()

    stack.write_ca("origin", root_ca("Origin Root 2026").pem)
    stack.control.clear_requests()
    rotate = stack.workspace.up()
    assert rotate.changes == {"create": 1, "delete": 1, "same": 1}, rotate
    changes = [call for call in calls(stack) if call[0] != "GET"]
    assert changes == [("POST", stack.zone_id), ("DELETE", stack.zone_id)]
    assert min(live_counts_over_time(stack.api_requests(), stack.zone_id, start=1)) >= 1
    [new] = stack.live_entries()
    assert new["id"] != old["id"]
    [record] = stack.entries_in_state().values()
    assert "CN=Origin Root 2026" in record["outputs"]["subject"]

    # Moving the zone's only CA elsewhere would empty the zone: refused, nothing lost ...
    stack.control.clear_requests()
    stack.workspace.set_config("zoneId", OTHER_ZONE)
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "it is the zone's last usable CA" in refused.output, refused
    assert len(stack.live_entries()) == 1
    assert len(stack.live_entries(OTHER_ZONE)) == 1
    # ... until the stack opts in, as the message says.
    stack.workspace.set_config("allowEmptyZone", "true")
    move = stack.workspace.up()
    # The refused run already uploaded to the new zone; this one records the opt-in and deletes.
    assert move.changes == {"update": 1, "delete": 1, "same": 1}, move
    changes = [call for call in calls(stack) if call[0] != "GET"]
    assert changes == [("POST", OTHER_ZONE), ("DELETE", stack.zone_id)]
    assert stack.live_entries() == []
    assert len(stack.live_entries(OTHER_ZONE)) == 1


def test_refresh_drops_entries_deleted_out_of_band_and_reports_expiry(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    stack.write_ca("short", expiring_in(dt.timedelta(days=10), "Short Lived Root").pem)
    stack.write_ca("doomed", root_ca("Doomed Root").pem)
    stack.workspace.up()
    doomed_id = stack.entries_in_state()[stack.resource_name("doomed")]["id"]

    with api(stack) as client:
        client.delete(stack.zone_id, doomed_id)
    stack.control.advance_clock(11 * 24 * 3600)
    stack.control.clear_requests()

    refresh = stack.workspace.refresh()
    assert sorted(calls(stack)) == [("GET", stack.zone_id)] * 2
    in_state = stack.entries_in_state()
    assert stack.resource_name("doomed") not in in_state, refresh
    assert in_state[stack.resource_name("short")]["outputs"]["status"] == "expired"

    # The next up puts the deleted CA back and leaves the expired one alone.
    stack.control.clear_requests()
    up = stack.workspace.up()
    assert up.changes == {"create": 1, "same": 2}, up
    assert calls(stack) == [("POST", stack.zone_id)]
    # Stack outputs are the program's: they show the refreshed status after the next up.
    short = stack.resource_name("short")
    assert stack.workspace.outputs()["entries"][short]["status"] == "expired"


def test_faults_during_up_end_converged_with_one_entry_per_ca(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    for name in ("storm", "flaky", "lost"):
        stack.write_ca(name, root_ca(f"{name.title()} Root").pem)
    stack.control.add_fault("rate_limit", count=3, retry_after=0, method="POST")
    stack.control.add_fault("error", status=503, count=2, method="POST")
    stack.control.add_fault("drop_after_commit", count=1, method="POST")

    up = stack.workspace.up()
    assert up.changes == {"create": 4}, up
    assert stack.control.faults() == []
    live = stack.live_entries()
    state = stack.entries_in_state()
    assert len(live) == 3, "a fault must not leave a duplicate entry"
    assert {e["id"] for e in live} == {r["id"] for r in state.values()}, "no orphaned entry"

    stack.control.clear_requests()
    assert stack.workspace.up().changes == {"same": 4}
    assert calls(stack) == []


def test_zone_without_advanced_certificate_manager_fails_with_cloudflares_error(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    stack.write_ca("root", root_ca().pem)
    stack.control.set_acm_enabled(stack.zone_id, False)

    failed = stack.workspace.up(check=False)
    assert failed.returncode != 0
    assert "1450" in failed.output, failed
    assert "Advanced Certificate Manager" in failed.output, failed
    assert stack.live_entries() == []


def test_an_existing_identical_entry_is_refused_unless_adopted_then_managed(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    ca = root_ca("Uploaded By Hand Root")
    with api(stack) as client:
        existing = client.upload(stack.zone_id, ca.pem)
    stack.write_ca("by-hand", ca.pem)

    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "already holds CA 'CN=Uploaded By Hand Root,O=Example Origin'" in refused.output
    assert existing.id in refused.output, refused
    assert "pulumi config set adoptExisting true" in refused.output, refused
    assert len(stack.live_entries()) == 1

    stack.workspace.set_config("adoptExisting", "true")
    stack.control.clear_requests()
    adopted = stack.workspace.up()
    assert adopted.changes == {"create": 1, "same": 1}, adopted
    record = stack.entries_in_state()[stack.resource_name("by-hand")]
    assert record["id"] == existing.id
    assert record["outputs"]["adopted"] is True
    assert len(stack.live_entries()) == 1

    # Adopted entries are managed like any other: destroy deletes them.
    stack.workspace.set_config("allowEmptyZone", "true")
    stack.workspace.up()
    stack.workspace.destroy()
    assert stack.live_entries() == []


def test_wait_for_active_waits_and_a_timeout_leaves_nothing_behind(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack(emulator_args=["--activation-delay", "3"])
    stack.workspace.set_config("waitForActive", "true")
    stack.write_ca("patient", root_ca("Patient Root").pem)

    up = stack.workspace.up()
    assert up.changes == {"create": 2}, up
    patient = stack.resource_name("patient")
    assert stack.entries_in_state()[patient]["outputs"]["status"] == "active"
    methods = [method for method, _ in calls(stack)]
    assert methods[0] == "POST", methods
    assert set(methods[1:]) == {"GET"}, methods

    stack.workspace.set_config("activeTimeoutSeconds", "1")
    hasty = root_ca("Hasty Root")
    stack.write_ca("hasty", hasty.pem)
    failed = stack.workspace.up(check=False)
    assert failed.returncode != 0
    assert "did not become active" in failed.output, failed
    hasty_fingerprint = hasty.cert.fingerprint(hashes.SHA256()).hex()
    assert [e["fingerprint_sha256"] for e in stack.live_entries()] != [hasty_fingerprint]
    assert len(stack.live_entries()) == 1, "the entry that timed out was deleted again"
