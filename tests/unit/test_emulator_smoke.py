"""The three ways to reach the emulator all work end to end (upload, list, get, delete)."""

from __future__ import annotations

import httpx

from emulator import Emulator
from emulator.process import EmulatorProcess
from emulator.server import EmulatorServer
from scripts.certs import root_ca
from tests.common import TOKEN, ZONE_ID
from tests.fixtures.emulator import read_request_log

AUTH = {"Authorization": f"Bearer {TOKEN}"}
COLLECTION = f"/zones/{ZONE_ID}/acm/custom_trust_store"


def _round_trip(client: httpx.Client) -> None:
    pem = root_ca().pem
    created = client.post(COLLECTION, json={"certificate": pem})
    assert created.status_code == 200, created.text
    entry = created.json()["result"]
    assert entry["status"] == "active"
    listed = client.get(COLLECTION).json()
    assert [e["id"] for e in listed["result"]] == [entry["id"]]
    assert client.get(f"{COLLECTION}/{entry['id']}").json()["result"] == entry
    deleted = client.delete(f"{COLLECTION}/{entry['id']}").json()
    assert deleted["result"] == {"id": entry["id"]}
    assert client.get(f"{COLLECTION}/{entry['id']}").status_code == 404


def test_in_process(emulator: Emulator, emulator_http: httpx.Client) -> None:
    _round_trip(emulator_http)
    assert [r["method"] for r in emulator.requests()] == ["POST", "GET", "GET", "DELETE", "GET"]


def test_real_server(emulator_server: EmulatorServer) -> None:
    with httpx.Client(base_url=emulator_server.base_url, headers=AUTH) as client:
        _round_trip(client)
    assert len(read_request_log(emulator_server.root_url)) == 5


def test_subprocess(emulator_process: EmulatorProcess) -> None:
    assert emulator_process.base_url.startswith("http://127.0.0.1:")
    assert emulator_process.base_url.endswith("/client/v4")
    with httpx.Client(base_url=emulator_process.base_url, headers=AUTH) as client:
        _round_trip(client)
    assert [r["status"] for r in emulator_process.control.requests()] == [200, 200, 200, 200, 404]
