"""Each fault mode, as one suite run twice: through the in-process transport and through the
REAL server with raw httpx (``emulator_api``: ``in_process`` and ``server``).

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
from scripts.certs import root_ca
from tests.common import TOKEN
from tests.fixtures.emulator import IN_PROCESS_BASE_URL, EmulatorApi

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def upload(api: EmulatorApi, pem: str = "", **kwargs: object) -> httpx.Response:
    return api.client.post(
        api.collection(),
        json={"certificate": pem or root_ca().pem},
        **kwargs,  # type: ignore[arg-type]
    )


def stored(api: EmulatorApi) -> int:
    return len(api.emulator.store.entries())


def test_error_fault(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("error", status=503, count=2, method="POST")
    for _ in range(2):
        response = upload(emulator_api)
        assert response.status_code == 503
        assert response.json() == {
            "success": False,
            "errors": [
                {"code": 1503, "message": "Injected fault: HTTP 503 (emulator fault injection)"}
            ],
            "messages": [],
            "result": None,
        }
    assert stored(emulator_api) == 0  # nothing applied
    assert upload(emulator_api).status_code == 200
    log = emulator_api.emulator.requests()
    assert [(r["status"], r["fault"]) for r in log] == [(503, "error"), (503, "error"), (200, None)]


def test_error_fault_with_own_code_and_message(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("error", status=500, code=2000, message="Internal error")
    response = emulator_api.client.get(emulator_api.collection())
    assert response.status_code == 500
    assert response.json()["errors"] == [{"code": 2000, "message": "Internal error"}]


def test_rate_limit_fault(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("rate_limit", retry_after=7)
    response = emulator_api.client.get(emulator_api.collection())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errors"] == [
        {"code": 971, "message": "Please wait and consider throttling your request speed"}
    ]
    assert emulator_api.client.get(emulator_api.collection()).status_code == 200


def test_reset_fault(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("reset", method="POST")
    with pytest.raises(httpx.ReadError):
        upload(emulator_api)
    assert stored(emulator_api) == 0  # closed BEFORE handling
    last = emulator_api.emulator.requests()[-1]
    assert (last["method"], last["status"], last["fault"]) == ("POST", None, "reset")
    # The client recovers on a new connection.
    assert upload(emulator_api).status_code == 200


def test_drop_after_commit_fault(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("drop_after_commit", method="POST")
    pem = root_ca().pem
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        upload(emulator_api, pem)
    assert stored(emulator_api) == 1  # applied, though the client never heard
    last = emulator_api.emulator.requests()[-1]
    assert (last["status"], last["fault"], last["applied_status"]) == (
        None,
        "drop_after_commit",
        200,
    )
    # A naive retry now meets the duplicate rule.
    retry = upload(emulator_api, pem)
    assert (retry.status_code, retry.json()["errors"][0]["code"]) == (400, 1220)


def test_delay_fault(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("delay", delay_seconds=0.3)
    started = time.monotonic()
    assert emulator_api.client.get(emulator_api.collection()).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emulator_api.emulator.requests()[-1]["fault"] == "delay"


def test_delay_beyond_the_read_timeout(emulator_api: EmulatorApi) -> None:
    emulator_api.emulator.add_fault("delay", delay_seconds=0.5, method="POST")
    with pytest.raises(httpx.ReadTimeout):
        upload(emulator_api, timeout=0.1)
    deadline = time.monotonic() + 5
    while stored(emulator_api) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stored(emulator_api) == 1  # the slow server still applied it


def test_match_by_method_and_path_and_count(emulator_api: EmulatorApi) -> None:
    emu, client = emulator_api.emulator, emulator_api.client
    emu.add_fault("error", status=502, method="DELETE", path_contains="/custom_trust_store/")
    assert client.get(emulator_api.collection()).status_code == 200  # not matched
    entry_id = upload(emulator_api).json()["result"]["id"]
    assert client.get(emulator_api.item(entry_id)).status_code == 200  # wrong method
    assert client.delete(emulator_api.item(entry_id)).status_code == 502
    assert client.delete(emulator_api.item(entry_id)).status_code == 200  # count used up
    assert emu.faults.pending() == []


def test_faults_queue_in_order_and_clear(emulator_api: EmulatorApi) -> None:
    emu, client = emulator_api.emulator, emulator_api.client
    emu.set_faults(Fault("error", status=504), Fault("rate_limit", retry_after=3))
    assert [f["mode"] for f in emu.faults.pending()] == ["error", "rate_limit"]
    assert client.get(emulator_api.collection()).status_code == 504
    limited = client.get(emulator_api.collection())
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    emu.add_fault("error", status=500)
    emu.clear_faults()
    assert client.get(emulator_api.collection()).status_code == 200


# -- the control API over HTTP (server only) --------------------------------------------------


@pytest.fixture
def control(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_server.root_url) as made:
        yield made


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


def test_control_requests_are_never_faulted(control: EmulatorControl) -> None:
    control.add_fault("reset", count=5)
    assert control.faults()[0]["count"] == 5
    assert control.requests() == []


# -- the in-process transport's clock for delays ----------------------------------------------


def sleeping_client(emulator: Emulator, slept: list[float]) -> httpx.Client:
    """A client on the in-process transport whose delays are recorded instead of slept."""
    return httpx.Client(
        transport=EmulatorTransport(emulator, sleep=slept.append),
        base_url=IN_PROCESS_BASE_URL,
        headers=AUTH,
    )


def test_transport_delay_within_the_timeout(emulator: Emulator) -> None:
    emulator.add_fault("delay", delay_seconds=0.05)
    slept: list[float] = []
    with sleeping_client(emulator, slept) as client:
        assert client.get(EmulatorApi.collection(), timeout=1).status_code == 200
    assert slept == [0.05]


def test_transport_delay_beyond_the_timeout_sleeps_only_the_timeout(emulator: Emulator) -> None:
    emulator.add_fault("delay", delay_seconds=30, method="POST")
    slept: list[float] = []
    with sleeping_client(emulator, slept) as client, pytest.raises(httpx.ReadTimeout):
        client.post(EmulatorApi.collection(), json={"certificate": root_ca().pem}, timeout=0.05)
    assert slept == [0.05]  # slept the timeout, not the delay
    assert len(emulator.store.entries()) == 1  # applied server-side all the same
