"""The pinned schema excerpt is the project's shared one, and the validator really validates."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from emulator import Emulator
from emulator.state import STATUSES, Entry
from emulator.transport import EmulatorTransport
from provider.client import EntryStatus
from tests.certs import root_ca
from tests.contract.schema import PINNED, assert_all_conform, contract_errors

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "cloudflare-api" / "custom_trust_store.openapi.json"
#: The project's notes (facts with their sources) in the pinned copy; not Cloudflare's text.
PROJECT_NOTES = "x-project-notes"


def test_pinned_copy_matches_shared_excerpt() -> None:
    if not SHARED.exists():
        pytest.skip(
            f"DRIFT CHECK NOT RUN: the shared excerpt {SHARED} is absent here, so the pinned "
            f"copy {PINNED.relative_to(REPO_ROOT)} cannot be compared with it"
        )
    shared = json.loads(SHARED.read_text())
    pinned = json.loads(PINNED.read_text())
    pinned.pop(PROJECT_NOTES, None)  # ours, on top of Cloudflare's excerpt
    if shared != pinned:
        changed = sorted(
            {k for k in shared.keys() | pinned.keys() if shared.get(k) != pinned.get(k)}
        )
        pytest.fail(
            f"the pinned schema excerpt drifted from {SHARED} (top-level keys differing: "
            f"{changed}); review the change, then copy the shared file over the pinned one and "
            "update the emulator to match"
        )


def test_the_project_notes_give_a_source_for_every_fact() -> None:
    notes = json.loads(PINNED.read_text())[PROJECT_NOTES]
    assert notes["facts"]
    for note in notes["facts"]:
        assert set(note) == {"fact", "source"}
        assert note["fact"].strip()
        assert note["source"].strip()


def test_pinned_copy_covers_the_four_operations() -> None:
    paths = json.loads(PINNED.read_text())["paths"]
    operations = {
        (path, method) for path, item in paths.items() for method in item if method != "parameters"
    }
    assert operations == {
        ("/zones/{zone_id}/acm/custom_trust_store", "get"),
        ("/zones/{zone_id}/acm/custom_trust_store", "post"),
        ("/zones/{zone_id}/acm/custom_trust_store/{custom_origin_trust_store_id}", "get"),
        ("/zones/{zone_id}/acm/custom_trust_store/{custom_origin_trust_store_id}", "delete"),
    }


ENTRY = {
    "id": "0" * 32,
    "certificate": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
    "expires_on": "2036-11-26T12:00:00Z",
    "issuer": "Example Origin",
    "signature": "SHA256WithRSA",
    "status": "active",
    "updated_at": "2026-11-29T12:00:00Z",
    "uploaded_on": "2026-11-29T12:00:00Z",
}
ITEM = "/client/v4/zones/" + "a" * 32 + "/acm/custom_trust_store/" + "0" * 32
COLLECTION = "/client/v4/zones/" + "a" * 32 + "/acm/custom_trust_store"


def _ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def test_validator_accepts_a_conforming_entry() -> None:
    assert contract_errors("GET", ITEM, 200, _ok(ENTRY)) == []
    listing = {
        **_ok([ENTRY]),
        "result_info": {"count": 1, "page": 1, "per_page": 20, "total_count": 1},
    }
    assert contract_errors("GET", COLLECTION, 200, listing) == []
    assert contract_errors("DELETE", ITEM, 200, _ok({"id": "0" * 32})) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "enabled"),
        ("expires_on", "next tuesday"),
        ("id", "0" * 33),
        ("issuer", None),
    ],
)
def test_validator_rejects_a_bad_entry(field: str, value: object) -> None:
    assert contract_errors("GET", ITEM, 200, _ok({**ENTRY, field: value}))


def test_validator_rejects_a_missing_field() -> None:
    entry = {k: v for k, v in ENTRY.items() if k != "signature"}
    assert contract_errors("POST", COLLECTION, 200, _ok(entry))


def test_validator_checks_failures_against_common_failure() -> None:
    failure = {
        "success": False,
        "errors": [{"code": 1419, "message": "x"}],
        "messages": [],
        "result": None,
    }
    assert contract_errors("GET", ITEM, 404, failure) == []
    assert contract_errors("GET", ITEM, 404, {**failure, "errors": []}) == [
        "a failure must carry at least one error"
    ]
    assert contract_errors("GET", ITEM, 404, {**failure, "result": {}})
    assert contract_errors("GET", ITEM, 400, {**failure, "errors": [{"code": 999, "message": "x"}]})


def test_rate_limit_code_971_is_the_one_tolerated_deviation() -> None:
    body = {
        "success": False,
        "errors": [{"code": 971, "message": "x"}],
        "messages": [],
        "result": None,
    }
    assert contract_errors("GET", ITEM, 429, body) == []
    assert contract_errors("GET", ITEM, 400, body)


def test_the_fixtures_contract_check_catches_a_bad_emulator_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prove the teardown check is live: break the emulator, and the check must fail."""
    real = Entry.to_api
    monkeypatch.setattr(Entry, "to_api", lambda self, now: {**real(self, now), "status": "bogus"})
    emu = Emulator()
    with httpx.Client(
        transport=EmulatorTransport(emu), base_url="http://emulator.invalid/client/v4"
    ) as client:
        client.post(
            "/zones/" + "a" * 32 + "/acm/custom_trust_store",
            json={"certificate": root_ca().pem},
            headers={"Authorization": "Bearer test-token"},
        )
    with pytest.raises(AssertionError, match="bogus"):
        assert_all_conform(emu.responses())
    emu.close()


def test_emulator_and_client_know_exactly_the_documented_statuses() -> None:
    schemas = json.loads(PINNED.read_text())["components"]["schemas"]
    documented = schemas[
        "tls-certificates-and-hostnames_custom-trust-store_components-schemas-status"
    ]
    assert list(STATUSES) == documented["enum"]
    assert [status.value for status in EntryStatus] == documented["enum"]
