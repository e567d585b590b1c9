"""Each fault mode, through the REAL server with raw httpx, and through the in-process transport.

What a client sees must be what a real socket gives: a reset is a connection reset, a drop
after commit is a server disconnect with the change applied, a delay longer than the read
timeout is a read timeout (with the change still applied server-side).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from emulator import Emulator, Fault
from emulator.control import EmulatorControl
from emulator.server import EmulatorServer
from emulator.transport import EmulatorTransport
from tests.certs import root_ca
from tests.fixtures.emulator import TOKEN, ZONE_ID

COLLECTION = f"/zones/{ZONE_ID}/acm/custom_trust_store"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def http(emulator_server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_server.base_url, headers=AUTH, timeout=5) as client:
        yield client


@pytest.fixture
def control(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_server.root_url) as made:
        yield made


def stored(emulator_server: EmulatorServer) -> int:
    return len(emulator_server.emulator.store.entries())


# -- over the socket ------------------------------------------------------------------------


def test_error_fault(
    http: httpx.Client, control: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    control.add_fault("error", status=503, count=2, method="POST")
    for _ in range(2):
        response = http.post(COLLECTION, json={"certificate": root_ca().pem})
        assert response.status_code == 503
        assert response.json() == {
            "success": False,
            "errors": [
                {"code": 1503, "message": "Injected fault: HTTP 503 (emulator fault injection)"}
            ],
            "messages": [],
            "result": None,
        }
    assert stored(emulator_server) == 0  # nothing applied
    assert http.post(COLLECTION, json={"certificate": root_ca().pem}).status_code == 200
    log = control.requests()
    assert [(r["status"], r["fault"]) for r in log] == [(503, "error"), (503, "error"), (200, None)]


def test_error_fault_with_own_code_and_message(
    http: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("error", status=500, code=10001, message="Internal error")
    response = http.get(COLLECTION)
    assert response.status_code == 500
    assert response.json()["errors"] == [{"code": 10001, "message": "Internal error"}]


def test_rate_limit_fault(http: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("rate_limit", retry_after=7)
    response = http.get(COLLECTION)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errors"] == [
        {"code": 971, "message": "Please wait and consider throttling your request speed"}
    ]
    assert http.get(COLLECTION).status_code == 200


def test_reset_fault(
    http: httpx.Client, control: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    control.add_fault("reset", method="POST")
    with pytest.raises(httpx.ReadError):
        http.post(COLLECTION, json={"certificate": root_ca().pem})
    assert stored(emulator_server) == 0  # closed BEFORE handling
    last = control.requests()[-1]
    assert (last["method"], last["status"], last["fault"]) == ("POST", None, "reset")
    # The client's pool recovers on a new connection.
    assert http.post(COLLECTION, json={"certificate": root_ca().pem}).status_code == 200


def test_drop_after_commit_fault(
    http: httpx.Client, control: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    control.add_fault("drop_after_commit", method="POST")
    pem = root_ca().pem
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        http.post(COLLECTION, json={"certificate": pem})
    assert stored(emulator_server) == 1  # applied, though the client never heard
    last = control.requests()[-1]
    assert (last["status"], last["fault"], last["applied_status"]) == (
        None,
        "drop_after_commit",
        200,
    )
    # A naive retry now meets the duplicate rule.
    retry = http.post(COLLECTION, json={"certificate": pem})
    assert (retry.status_code, retry.json()["errors"][0]["code"]) == (400, 1220)


def test_delay_fault(http: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("delay", delay_seconds=0.3)
    started = time.monotonic()
    assert http.get(COLLECTION).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert control.requests()[-1]["fault"] == "delay"


def test_delay_beyond_the_read_timeout(
    http: httpx.Client, control: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    control.add_fault("delay", delay_seconds=0.5, method="POST")
    with pytest.raises(httpx.ReadTimeout):
        http.post(COLLECTION, json={"certificate": root_ca().pem}, timeout=0.1)
    deadline = time.monotonic() + 5
    while stored(emulator_server) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stored(emulator_server) == 1  # the slow server still applied it


def test_match_by_method_and_path_and_count(http: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("error", status=502, method="DELETE", path_contains="/custom_trust_store/")
    assert http.get(COLLECTION).status_code == 200  # not matched
    entry_id = http.post(COLLECTION, json={"certificate": root_ca().pem}).json()["result"]["id"]
    assert http.get(f"{COLLECTION}/{entry_id}").status_code == 200  # wrong method
    assert http.delete(f"{COLLECTION}/{entry_id}").status_code == 502
    assert http.delete(f"{COLLECTION}/{entry_id}").status_code == 200  # count used up
    assert control.faults() == []


def test_faults_queue_in_order_and_clear(http: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("error", status=500)
    control.add_fault("rate_limit")
    assert [f["mode"] for f in control.faults()] == ["error", "rate_limit"]
    assert http.get(COLLECTION).status_code == 500
    control.clear_faults()
    assert http.get(COLLECTION).status_code == 200


def test_control_posts_a_list_of_faults(emulator_server: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator_server.root_url}/__emulator/faults",
        json=[{"mode": "error"}, {"mode": "reset", "count": 2}],
    )
    assert response.status_code == 200
    assert [(f["mode"], f["count"]) for f in response.json()["faults"]] == [
        ("error", 1),
        ("reset", 2),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mode": "explode"}, "mode must be one of"),
        ({"mode": "error", "count": 0}, "count must be an integer >= 1"),
        ({"mode": "error", "status": 200}, "status must be an HTTP error status"),
        ({"mode": "error", "colour": "red"}, "unknown fault fields: colour"),
        ({"count": 1}, "a fault needs a mode"),
        ({"mode": "delay", "delay_seconds": -1}, "delay_seconds must be a number from 0 to 300"),
        ({"mode": "delay", "delay_seconds": 301}, "delay_seconds must be a number from 0 to 300"),
    ],
)
def test_invalid_fault_is_refused(
    emulator_server: EmulatorServer, body: dict[str, object], message: str
) -> None:
    response = httpx.post(f"{emulator_server.root_url}/__emulator/faults", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_control_requests_are_never_faulted(
    emulator_server: EmulatorServer, control: EmulatorControl
) -> None:
    control.add_fault("reset", count=5)
    assert control.faults()[0]["count"] == 5
    assert control.requests() == []


# -- in-process transport -------------------------------------------------------------------


@pytest.fixture
def local(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=EmulatorTransport(emulator),
        base_url="http://emulator.invalid/client/v4",
        headers=AUTH,
    ) as client:
        yield client


def test_transport_reset(emulator: Emulator, local: httpx.Client) -> None:
    emulator.set_faults(Fault("reset", method="POST"))
    with pytest.raises(httpx.ReadError):
        local.post(COLLECTION, json={"certificate": root_ca().pem})
    assert emulator.store.entries() == []


def test_transport_drop_after_commit(emulator: Emulator, local: httpx.Client) -> None:
    emulator.set_faults({"mode": "drop_after_commit"})
    with pytest.raises(httpx.RemoteProtocolError):
        local.post(COLLECTION, json={"certificate": root_ca().pem})
    assert len(emulator.store.entries()) == 1


def sleeping_client(emulator: Emulator, slept: list[float]) -> httpx.Client:
    """A client on the in-process transport whose delays are recorded instead of slept."""
    return httpx.Client(
        transport=EmulatorTransport(emulator, sleep=slept.append),
        base_url="http://emulator.invalid/client/v4",
        headers=AUTH,
    )


def test_transport_delay_within_the_timeout(emulator: Emulator) -> None:
    emulator.add_fault("delay", delay_seconds=0.05)
    slept: list[float] = []
    with sleeping_client(emulator, slept) as client:
        assert client.get(COLLECTION, timeout=1).status_code == 200
    assert slept == [0.05]


def test_transport_delay_beyond_the_timeout(emulator: Emulator) -> None:
    emulator.add_fault("delay", delay_seconds=30, method="POST")
    slept: list[float] = []
    with sleeping_client(emulator, slept) as client, pytest.raises(httpx.ReadTimeout):
        client.post(COLLECTION, json={"certificate": root_ca().pem}, timeout=0.05)
    assert slept == [0.05]  # slept the timeout, not the delay
    assert len(emulator.store.entries()) == 1  # applied server-side all the same


def test_transport_error_and_rate_limit(emulator: Emulator, local: httpx.Client) -> None:
    emulator.set_faults(Fault("error", status=504), Fault("rate_limit", retry_after=3))
    assert local.get(COLLECTION).status_code == 504
    limited = local.get(COLLECTION)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert local.get(COLLECTION).status_code == 200
