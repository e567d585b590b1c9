"""``GET /zones``: the zones the emulator knows, paginated in Cloudflare's shape.

Known zones: those holding entries, and those declared at start (``--zone``,
``EmulatorConfig.zones``) or through the control API. Auth and rate limiting apply.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cloudflare import Cloudflare

from emulator import EmulatorConfig
from emulator.process import EmulatorProcess
from emulator.server import EmulatorServer
from scripts.certs import root_ca
from tests.common import TOKEN, ZONE_ID
from tests.fixtures.emulator import EmulatorApi

OTHER = "0123456789abcdef0123456789abcdef"


def zone_ids(n: int) -> list[str]:
    return [f"{i:032x}" for i in range(1, n + 1)]


def test_no_zones_yet(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.get("/zones")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errors": [],
        "messages": [],
        "result": [],
        "result_info": {"page": 1, "per_page": 20, "count": 0, "total_count": 0, "total_pages": 0},
    }


def test_zones_with_entries_are_listed_and_stay_listed(emulator_api: EmulatorApi) -> None:
    created = emulator_api.client.post(
        emulator_api.collection(), json={"certificate": root_ca().pem}
    ).json()["result"]
    (zone,) = emulator_api.client.get("/zones").json()["result"]
    assert (zone["id"], zone["name"], zone["status"]) == (
        ZONE_ID,
        f"{ZONE_ID}.example.com",
        "active",
    )
    assert zone["created_on"] == created["uploaded_on"]
    assert zone["account"]["id"]
    assert zone["plan"]["name"]
    emulator_api.client.delete(emulator_api.item(created["id"]))
    assert [z["id"] for z in emulator_api.client.get("/zones").json()["result"]] == [ZONE_ID]


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(token=TOKEN, zones=((ZONE_ID, "example.com"), (OTHER, None)))],
    indirect=True,
)
def test_declared_zones_are_listed_by_name(emulator_api: EmulatorApi) -> None:
    listed = emulator_api.client.get("/zones").json()["result"]
    assert [(z["id"], z["name"]) for z in listed] == [
        (OTHER, f"{OTHER}.example.com"),
        (ZONE_ID, "example.com"),
    ]
    # A reset forgets entries and control-API zones, not the configured ones.
    emulator_api.emulator.declare_zone("ab" * 16)
    emulator_api.emulator.reset()
    assert len(emulator_api.client.get("/zones").json()["result"]) == 2


def test_pages_and_total_pages(emulator_api: EmulatorApi) -> None:
    ids = zone_ids(23)
    for zone_id in ids:
        emulator_api.emulator.declare_zone(zone_id)
    first = emulator_api.client.get("/zones", params={"per_page": 10}).json()
    assert first["result_info"] == {
        "page": 1,
        "per_page": 10,
        "count": 10,
        "total_count": 23,
        "total_pages": 3,
    }
    seen = []
    for page in (1, 2, 3):
        body = emulator_api.client.get("/zones", params={"per_page": 10, "page": page}).json()
        seen += [z["id"] for z in body["result"]]
    assert seen == ids  # default order: by name, and default names follow the ids
    past = emulator_api.client.get("/zones", params={"per_page": 10, "page": 4}).json()
    assert (past["result"], past["result_info"]["count"]) == ([], 0)


def test_filters_and_order(emulator_api: EmulatorApi) -> None:
    emu = emulator_api.emulator
    emu.declare_zone(ZONE_ID, "shop.example.com")
    emu.declare_zone(OTHER, "blog.example.org")
    emu.declare_zone("ab" * 16, "api.example.com")

    def names(**params: str) -> list[str]:
        response = emulator_api.client.get("/zones", params=params)
        assert response.status_code == 200, response.text
        return [z["name"] for z in response.json()["result"]]

    assert names() == ["api.example.com", "blog.example.org", "shop.example.com"]
    assert names(direction="desc") == ["shop.example.com", "blog.example.org", "api.example.com"]
    assert names(name="blog.example.org") == ["blog.example.org"]
    assert names(name="contains:example.com") == ["api.example.com", "shop.example.com"]
    assert names(name="starts_with:shop") == ["shop.example.com"]
    assert names(name="ends_with:.org") == ["blog.example.org"]
    assert names(status="pending") == []
    assert len(names(status="active", order="status")) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"per_page": "4"}, "per_page must be an integer between 5 and 50"),
        ({"per_page": "51"}, "per_page must be an integer between 5 and 50"),
        ({"page": "0"}, "page must be an integer >= 1"),
        ({"page": "x"}, "page must be an integer; got 'x'"),
        ({"status": "gone"}, "status must be one of initializing, pending, active, moved"),
        ({"order": "id"}, "order must be one of name, status, account.id"),
        ({"direction": "up"}, "direction must be asc or desc"),
    ],
)
def test_bad_query(emulator_api: EmulatorApi, params: dict[str, str], message: str) -> None:
    response = emulator_api.client.get("/zones", params=params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == 1420
    assert message in error["message"]


def test_auth_applies(emulator_api: EmulatorApi) -> None:
    assert emulator_api.anonymous.get("/zones").status_code == 401
    wrong = emulator_api.anonymous.get("/zones", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (403, 9109)


def test_only_get(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.post("/zones", json={"name": "example.com"})
    assert response.status_code == 405


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, rate_limit=(2, 60))], indirect=True
)
def test_rate_limit_applies(emulator_api: EmulatorApi) -> None:
    statuses = [emulator_api.client.get("/zones").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_request_log_records_zone_listing(emulator_api: EmulatorApi) -> None:
    emulator_api.client.get("/zones", params={"page": 2})
    (logged,) = emulator_api.emulator.requests()
    assert (logged["method"], logged["path"], logged["query"], logged["status"]) == (
        "GET",
        "/client/v4/zones",
        {"page": "2"},
        200,
    )


def test_official_sdk_pages_through_zones(emulator_server: EmulatorServer) -> None:
    ids = zone_ids(57)
    for zone_id in ids:
        emulator_server.emulator.declare_zone(zone_id)
    with Cloudflare(api_token=TOKEN, base_url=emulator_server.base_url, max_retries=0) as sdk:
        listed = list(sdk.zones.list(per_page=50))
    assert [z.id for z in listed] == ids
    assert listed[0].name == f"{ids[0]}.example.com"
    assert listed[0].status == "active"


def test_control_api_declares_and_names_zones(emulator_server: EmulatorServer) -> None:
    root = emulator_server.root_url
    declared = httpx.put(f"{root}/__emulator/zones/{ZONE_ID}", json={"name": "example.com"})
    assert declared.json() == {
        "zone_id": ZONE_ID,
        "known": True,
        "name": "example.com",
        "acm_enabled": True,
    }
    assert httpx.get(f"{root}/__emulator/zones/{OTHER}").json()["known"] is False
    assert [z["zone_id"] for z in httpx.get(f"{root}/__emulator/zones").json()] == [ZONE_ID]
    for bad in ({"name": "Not A Domain"}, {"name": "x" * 300}, {"colour": "red"}):
        response = httpx.put(f"{root}/__emulator/zones/{OTHER}", json=bad)
        assert response.status_code == 400, bad
    assert httpx.get(f"{root}/__emulator/zones/{OTHER}").json()["known"] is False


Start = Callable[..., EmulatorProcess]


def test_zone_option_and_persistence(tmp_path: Path, emulator_process_factory: Start) -> None:
    db = str(tmp_path / "zones.sqlite")
    first = emulator_process_factory(["--zone", f"{ZONE_ID}=example.com", "--zone", OTHER])
    url = first.base_url + "/zones"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert [z["name"] for z in httpx.get(url, headers=auth).json()["result"]] == [
        f"{OTHER}.example.com",
        "example.com",
    ]
    second = emulator_process_factory(["--db", db])
    second.control.declare_zone(ZONE_ID, "persisted.example.com")
    assert second.stop() == 0
    third = emulator_process_factory(["--db", db])
    listed = httpx.get(third.base_url + "/zones", headers=auth).json()["result"]
    assert [(z["id"], z["name"]) for z in listed] == [(ZONE_ID, "persisted.example.com")]


def test_python_api_refuses_ids_and_names_cloudflare_could_not_have(
    emulator_api: EmulatorApi,
) -> None:
    for zone_id, name in (("NOT-HEX", None), ("a" * 33, None), (ZONE_ID, "Bad Name")):
        with pytest.raises(ValueError, match="zone"):
            emulator_api.emulator.declare_zone(zone_id, name)
    assert emulator_api.client.get("/zones").json()["result"] == []
