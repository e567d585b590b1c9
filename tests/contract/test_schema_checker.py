"""The contract checker validates each response shape once, and still catches every breach."""

from __future__ import annotations

import copy
from typing import Any

from tests.contract import schema

PATH = "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/acm/custom_trust_store"


def entry(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"{n:032x}",
        "certificate": "-----BEGIN CERTIFICATE-----\nMIIB"
        + "A" * n
        + "\n-----END CERTIFICATE-----\n",
        "expires_on": f"2030-01-0{1 + n % 9}T00:00:00Z",
        "issuer": "Example",
        "signature": "SHA256WithRSA",
        "status": "active",
        "updated_at": "2026-11-29T12:00:00Z",
        "uploaded_on": "2026-11-29T12:00:00Z",
        **changes,
    }


def listing(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "success": True,
        "errors": [],
        "messages": [],
        "result": list(entries),
        "result_info": {"count": len(entries), "page": 1, "per_page": 20, "total_count": 9},
    }


def test_responses_differing_in_ids_times_and_certificates_share_one_shape() -> None:
    assert schema.shape(listing(entry(1), entry(2))) == schema.shape(listing(entry(3), entry(4)))


def test_a_breach_is_still_caught_after_a_conforming_shape_was_cached() -> None:
    good = listing(entry(1), entry(2))
    assert schema.contract_errors("GET", PATH, 200, good) == []
    for bad in (
        listing(entry(1), entry(2, status="bogus")),
        listing(entry(1, id="NOT-AN-ID-" * 4)),
        listing(entry(1, expires_on="tomorrow")),
        listing(entry(1, issuer=None)),
    ):
        assert schema.contract_errors("GET", PATH, 200, copy.deepcopy(bad)), bad
