"""The HTTP face: envelope, request log, control API, clock, reset, rate limiting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from emulator import Emulator, EmulatorConfig
from emulator.clock import parse_rfc3339
from emulator.control import EmulatorControl
from emulator.server import EmulatorServer
from emulator.transport import EmulatorTransport
from scripts.certs import NOW, expiring_in, root_ca
from tests.common import TOKEN, ZONE_ID
from tests.fixtures.emulator import EmulatorApi

OTHER = "0123456789abcdef0123456789abcdef"


def authorized(server: EmulatorServer) -> httpx.Client:
    """An httpx client on the real server's API, with the token."""
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def control(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_server.root_url) as made:
        yield made


def test_success_envelope(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.get(emulator_api.collection())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cf-ray"].endswith("-EMU")
    assert response.json() == {
        "success": True,
        "errors": [],
        "messages": [],
        "result": [],
        "result_info": {"count": 0, "page": 1, "per_page": 20, "total_count": 0},
    }


def test_get_and_delete_have_no_result_info(emulator_api: EmulatorApi) -> None:
    created = emulator_api.client.post(
        emulator_api.collection(), json={"certificate": root_ca().pem}
    ).json()
    assert "result_info" not in created
    entry_id = created["result"]["id"]
    assert "result_info" not in emulator_api.client.get(emulator_api.item(entry_id)).json()
    deleted = emulator_api.client.delete(emulator_api.item(entry_id)).json()
    assert deleted == {"success": True, "errors": [], "messages": [], "result": {"id": entry_id}}


def test_query_accepts_integral_floats(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.get(
        emulator_api.collection(), params={"page": "1.0", "per_page": "5.0"}
    )
    assert response.json()["result_info"]["per_page"] == 5


def test_request_log(emulator: Emulator, emulator_http: httpx.Client) -> None:
    emulator_http.get(f"/zones/{ZONE_ID}/acm/custom_trust_store", params={"page": 2, "per_page": 5})
    emulator_http.get("/zones/nope/acm/custom_trust_store", headers={"Authorization": "Bearer x"})
    first, second = emulator.requests()
    assert first == {
        "seq": 1,
        "method": "GET",
        "path": f"/client/v4/zones/{ZONE_ID}/acm/custom_trust_store",
        "query": {"page": "2", "per_page": "5"},
        "status": 200,
        "fault": None,
        "time": "2026-11-29T12:00:00.000000Z",
        "auth": "token",
        "user_agent": f"python-httpx/{httpx.__version__}",
    }
    assert (second["seq"], second["status"]) == (2, 403)
    emulator.clear_requests()
    assert emulator.requests() == []
    assert emulator.responses() == []


def test_recorded_responses(emulator: Emulator, emulator_http: httpx.Client) -> None:
    emulator_http.get(f"/zones/{ZONE_ID}/acm/custom_trust_store")
    (recorded,) = emulator.responses()
    assert recorded["operation"] == "list"
    assert recorded["status"] == 200
    assert recorded["delivered"] is True
    assert recorded["body"]["result"] == []


def test_control_request_log_over_http(
    emulator_server: EmulatorServer, control: EmulatorControl
) -> None:
    with httpx.Client(base_url=emulator_server.base_url) as anonymous:
        anonymous.get(f"/zones/{ZONE_ID}/acm/custom_trust_store")
    (entry,) = control.requests()
    assert (entry["method"], entry["status"], entry["auth"]) == ("GET", 401, "none")
    control.clear_requests()
    assert control.requests() == []


def test_control_zone_switch(emulator_server: EmulatorServer, control: EmulatorControl) -> None:
    control.set_acm_enabled(ZONE_ID, False)
    assert httpx.get(f"{emulator_server.root_url}/__emulator/zones/{ZONE_ID}").json() == {
        "zone_id": ZONE_ID,
        "known": True,
        "name": f"{ZONE_ID}.example.com",
        "acm_enabled": False,
    }
    with authorized(emulator_server) as client:
        assert (
            client.get(f"/zones/{ZONE_ID}/acm/custom_trust_store").json()["errors"][0]["code"]
            == 1450
        )
        assert client.get(f"/zones/{OTHER}/acm/custom_trust_store").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"/zones/{ZONE_ID}", {"acm_enabled": "no"}),
        ("PUT", "/zones/NOT-HEX", {"acm_enabled": False}),
        ("POST", "/clock", {"advance_seconds": -1}),
        ("POST", "/clock", {"seconds": 1}),
    ],
)
def test_control_refuses_bad_input(
    emulator_server: EmulatorServer, method: str, path: str, body: object
) -> None:
    response = httpx.request(method, f"{emulator_server.root_url}/__emulator{path}", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_control_unknown_endpoint(emulator_server: EmulatorServer) -> None:
    response = httpx.get(f"{emulator_server.root_url}/__emulator/nothing")
    assert response.status_code == 404


def test_clock_control_makes_certificates_expire(
    emulator_server: EmulatorServer, control: EmulatorControl
) -> None:
    with authorized(emulator_server) as client:
        entry = client.post(
            f"/zones/{ZONE_ID}/acm/custom_trust_store",
            json={"certificate": expiring_in(dt.timedelta(days=3)).pem},
        ).json()["result"]
        assert entry["status"] == "active"
        moved = control.advance_clock(3 * 86400)
        assert moved["offset_seconds"] == 3 * 86400
        assert parse_rfc3339(moved["now"]) >= NOW + dt.timedelta(days=3)
        got = client.get(f"/zones/{ZONE_ID}/acm/custom_trust_store/{entry['id']}").json()
        assert got["result"]["status"] == "expired"


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, deletion_delay=600)], indirect=True
)
def test_clock_control_completes_deletions(
    emulator_server: EmulatorServer, control: EmulatorControl
) -> None:
    with authorized(emulator_server) as client:
        url = f"/zones/{ZONE_ID}/acm/custom_trust_store"
        entry_id = client.post(url, json={"certificate": root_ca().pem}).json()["result"]["id"]
        client.delete(f"{url}/{entry_id}")
        assert client.get(f"{url}/{entry_id}").json()["result"]["status"] == "pending_deletion"
        control.advance_clock(600)
        assert client.get(f"{url}/{entry_id}").status_code == 404


def test_state_and_reset(emulator_server: EmulatorServer, control: EmulatorControl) -> None:
    with authorized(emulator_server) as client:
        client.post(f"/zones/{ZONE_ID}/acm/custom_trust_store", json={"certificate": root_ca().pem})
    control.set_acm_enabled(OTHER, False)
    control.add_fault("error")
    control.advance_clock(10)
    (entry,) = control.state()
    assert entry["zone_id"] == ZONE_ID
    assert len(entry["fingerprint_sha256"]) == 64
    control.reset()
    assert control.state() == []
    assert control.faults() == []
    assert control.requests() == []
    assert httpx.get(f"{emulator_server.root_url}/__emulator/clock").json()["offset_seconds"] == 0
    assert httpx.get(f"{emulator_server.root_url}/__emulator/zones/{OTHER}").json()["acm_enabled"]


def test_health(emulator_server: EmulatorServer, control: EmulatorControl) -> None:
    assert control.health()["ok"] is True


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, rate_limit=(2, 30))], indirect=True
)
def test_rate_limit_window_per_credential(emulator_api: EmulatorApi) -> None:
    client, url = emulator_api.client, emulator_api.collection()
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url).headers["retry-after"] == "30"
    # Another credential has its own window (it fails auth, but is not rate limited).
    other = emulator_api.anonymous.get(url, headers={"Authorization": "Bearer other"})
    assert other.status_code == 403
    emulator_api.emulator.advance_clock(29)
    assert client.get(url).headers["retry-after"] == "1"
    emulator_api.emulator.advance_clock(1)
    assert client.get(url).status_code == 200


def test_one_request_per_connection(emulator_server: EmulatorServer) -> None:
    """werkzeug's server closes every connection after its response (and discards unread
    input), so nothing a client sends after a body can run as a second request."""
    with authorized(emulator_server) as client:
        first = client.get(f"/zones/{ZONE_ID}/acm/custom_trust_store")
        second = client.get(f"/zones/{ZONE_ID}/acm/custom_trust_store")
    assert first.http_version == second.http_version == "HTTP/1.1"
    assert first.headers["connection"] == "close"
    assert second.status_code == 200


def test_concurrent_uploads_are_all_kept(emulator_server: EmulatorServer) -> None:
    pems = [root_ca(f"Concurrent {i}").pem for i in range(24)]

    def upload(pem: str) -> int:
        with authorized(emulator_server) as client:
            return client.post(
                f"/zones/{ZONE_ID}/acm/custom_trust_store", json={"certificate": pem}
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(upload, pems))
    assert statuses == [200] * 24
    assert len(emulator_server.emulator.store.entries()) == 24
    assert [r["seq"] for r in emulator_server.emulator.requests()] == list(range(1, 25))


def test_an_emulator_bug_is_a_500_and_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    emu = Emulator(EmulatorConfig(token=TOKEN))  # not the fixture: its teardown would fail

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emu.store, "list_page", broken)
    with httpx.Client(
        transport=EmulatorTransport(emu),
        base_url="http://emulator.invalid/client/v4",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        response = client.get(f"/zones/{ZONE_ID}/acm/custom_trust_store")
    assert response.status_code == 500
    assert response.json()["errors"] == [
        {
            "code": 2000,
            "message": "An unknown error has occurred.",
            "error_chain": [{"code": 2000, "message": "emulator bug: RuntimeError"}],
        }
    ]
    (trace,) = emu.internal_errors()
    assert "RuntimeError: boom" in trace
    emu.close()
