"""Our client against the emulator's REAL server (loopback socket, HTTP control API): the
official SDK's scenario, refusals, and every fault mode as real sockets show them."""

from __future__ import annotations

import logging
import pickle
import socket
import time
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudflare import Cloudflare

from emulator.control import EmulatorControl
from emulator.process import EmulatorProcess
from emulator.server import EmulatorServer
from policies.trust_rules.resource_type import EntryStatus
from provider.client import TrustStoreClient
from provider.credentials import ApiKey, ApiToken
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from scripts.certs import intermediate_ca, root_ca
from tests.common import API_KEY, EMAIL, FAST_RETRY, MISSING_ID, TOKEN, ZONE_ID

READ_TIMEOUT = 0.2
#: How long to wait for a server-side request still running after the client gave up.
SETTLE_SECONDS = 10.0


@pytest.fixture
def control(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_server.root_url) as made:
        yield made


@pytest.fixture
def client(emulator_server: EmulatorServer) -> Iterator[TrustStoreClient]:
    with TrustStoreClient(
        ApiToken(TOKEN),
        base_url=emulator_server.base_url,
        retry=FAST_RETRY,
        timeout=httpx.Timeout(5.0, read=READ_TIMEOUT),
    ) as made:
        yield made


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.DEBUG):
        yield
    for record in caplog.get_records("call"):
        assert TOKEN not in record.getMessage()
        assert API_KEY not in record.getMessage()


def assert_no_secret(error: BaseException) -> None:
    for secret in (TOKEN, API_KEY):
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret not in "".join(traceback.format_exception(error))
        assert secret.encode() not in pickle.dumps(error)


def api_log(control: EmulatorControl) -> list[tuple[str, Any]]:
    return [(r["method"], r["status"]) for r in control.requests()]


def settled_log(control: EmulatorControl) -> list[tuple[str, Any]]:
    """The request log once no request is still being handled (a timed-out one may be)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        records = control.requests()
        busy = [r for r in records if r["status"] is None and r["fault"] == "delay"]
        if not busy or time.monotonic() > deadline:
            return [(r["method"], r["status"]) for r in records]
        time.sleep(0.02)


def stored_ids(control: EmulatorControl) -> list[str]:
    return [entry["id"] for entry in control.state() if entry["zone_id"] == ZONE_ID]


def test_sdk_scenario_upload_list_get_delete(
    client: TrustStoreClient, emulator_server: EmulatorServer, control: EmulatorControl
) -> None:
    uploaded = [client.upload(ZONE_ID, root_ca(f"Contract Root {n}").pem) for n in range(57)]
    assert all(entry.status is EntryStatus.ACTIVE for entry in uploaded)
    control.clear_requests()

    listed = client.list(ZONE_ID)
    assert listed == tuple(uploaded)
    assert [(r["method"], r["query"]) for r in control.requests()] == [
        ("GET", {"page": "1", "per_page": "50"}),
        ("GET", {"page": "2", "per_page": "50"}),
    ]
    # The official SDK sees the same entries.
    with Cloudflare(api_token=TOKEN, base_url=emulator_server.base_url, max_retries=0) as sdk:
        sdk_ids = [e.id for e in sdk.acm.custom_trust_store.list(zone_id=ZONE_ID, per_page=50)]
    assert sdk_ids == [entry.id for entry in uploaded]

    chosen = uploaded[51]
    assert client.get(ZONE_ID, chosen.id) == chosen
    client.delete(ZONE_ID, chosen.id)
    with pytest.raises(NotFoundError) as caught:
        client.get(ZONE_ID, chosen.id)
    assert caught.value.codes == (1419,)
    assert len(client.list(ZONE_ID)) == 56


def test_key_pair_authentication_over_the_socket(emulator_server: EmulatorServer) -> None:
    with TrustStoreClient(ApiKey(EMAIL, API_KEY), base_url=emulator_server.base_url) as client:
        entry = client.upload(ZONE_ID, root_ca().pem)
        assert client.list(ZONE_ID) == (entry,)


class TestRefusals:
    def test_bad_token(self, emulator_server: EmulatorServer) -> None:
        with (
            TrustStoreClient(ApiToken("not-the-token"), base_url=emulator_server.base_url) as c,
            pytest.raises(AuthenticationError) as caught,
        ):
            c.list(ZONE_ID)
        assert (caught.value.status_code, caught.value.codes) == (403, (9109,))
        assert caught.value.errors[0].message == "Invalid access token"

    def test_acm_disabled(self, client: TrustStoreClient, control: EmulatorControl) -> None:
        control.set_acm_enabled(ZONE_ID, False)
        with pytest.raises(AcmNotEnabledError) as caught:
            client.upload(ZONE_ID, root_ca().pem)
        assert (caught.value.status_code, caught.value.codes) == (400, (1450,))
        assert_no_secret(caught.value)

    def test_non_root_certificate(self, client: TrustStoreClient) -> None:
        with pytest.raises(ApiError) as caught:
            client.upload(ZONE_ID, intermediate_ca(root_ca()).pem)
        assert (caught.value.status_code, caught.value.codes) == (400, (1411,))
        assert caught.value.errors[0].message == "Only root CA certificate is allowed."
        assert "basicConstraints CA:TRUE (openssl `-extensions v3_ca`)" in str(caught.value)

    def test_malformed_pem(self, client: TrustStoreClient) -> None:
        with pytest.raises(ApiError) as caught:
            client.upload(ZONE_ID, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        assert (caught.value.status_code, caught.value.codes) == (400, (1002,))
        assert caught.value.errors[0].message == "Invalid certificate."

    def test_invalid_ids_never_reach_the_server(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        for bad in ("../../user/tokens", "", "z" * 32, "a" * 33, "abc def"):
            with pytest.raises(InvalidInputError) as caught:
                client.get(ZONE_ID, bad)
            assert caught.value.parameter == "entry_id"
            assert "is not a Cloudflare id: expected 1 to 32 hex digits" in str(caught.value)
        assert control.requests() == []


class TestFaultsOverTheSocket:
    @pytest.mark.parametrize("mode", ["reset", "drop_after_commit"])
    def test_lost_connections_on_reads_are_retried(
        self, client: TrustStoreClient, control: EmulatorControl, mode: str
    ) -> None:
        control.add_fault(mode, count=2, method="GET")
        assert client.list(ZONE_ID) == ()
        assert api_log(control) == [("GET", None), ("GET", None), ("GET", 200)]

    def test_upload_answer_lost_after_commit_leaves_one_entry(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("drop_after_commit", method="POST")
        entry = client.upload(ZONE_ID, root_ca().pem)
        assert stored_ids(control) == [entry.id]
        assert api_log(control) == [("POST", None), ("GET", 200)]  # no second POST

    def test_reset_upload_is_reconciled_then_posted(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("reset", method="POST")
        entry = client.upload(ZONE_ID, root_ca().pem)
        assert stored_ids(control) == [entry.id]
        assert api_log(control) == [("POST", None), ("GET", 200), ("POST", 200)]

    def test_upload_slower_than_the_read_timeout_leaves_one_entry(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        # The server finishes the slow POST after the client gave up on it; whichever POST
        # lands second is refused as a duplicate, and the client returns the one stored.
        control.add_fault("delay", method="POST", delay_seconds=READ_TIMEOUT * 3)
        entry = client.upload(ZONE_ID, root_ca().pem)
        log = settled_log(control)
        assert stored_ids(control) == [entry.id]
        assert log[:2] == [("POST", log[0][1]), ("GET", 200)]
        assert [method for method, _ in log].count("POST") <= 2
        assert [status for method, status in log if method == "POST"].count(200) == 1

    def test_get_slower_than_the_read_timeout_is_retried(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("delay", method="GET", delay_seconds=READ_TIMEOUT * 2)
        assert client.list(ZONE_ID) == ()
        assert [m for m, _ in settled_log(control)] == ["GET", "GET"]

    def test_a_429_storm_with_retry_after_is_ridden_out(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("rate_limit", count=3, retry_after=1)
        entry = client.upload(ZONE_ID, root_ca().pem)
        assert api_log(control) == [("POST", 429)] * 3 + [("POST", 200)]
        assert stored_ids(control) == [entry.id]

    def test_a_429_storm_beyond_the_budget(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("rate_limit", count=10, retry_after=1)
        with pytest.raises(RateLimitedError) as caught:
            client.list(ZONE_ID)
        assert (caught.value.codes, caught.value.attempts) == ((971,), 4)
        assert_no_secret(caught.value)

    def test_5xx_beyond_the_budget(
        self, client: TrustStoreClient, control: EmulatorControl
    ) -> None:
        control.add_fault("error", status=500, count=10, code=1500, message="Internal failure")
        with pytest.raises(ServerError) as caught:
            client.get(ZONE_ID, MISSING_ID)
        assert (caught.value.status_code, caught.value.codes) == (500, (1500,))
        assert "failed with HTTP 500 after 4 attempts: [1500] Internal failure." in str(
            caught.value
        )
        assert_no_secret(caught.value)


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_retried_then_a_transport_error() -> None:
    port = free_loopback_port()
    with (
        TrustStoreClient(
            ApiToken(TOKEN), base_url=f"http://127.0.0.1:{port}/client/v4", retry=FAST_RETRY
        ) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.upload(ZONE_ID, root_ca().pem)
    error = caught.value
    assert error.attempts == 4
    assert not error.outcome_unknown  # refused before sending: nothing can have been stored
    assert str(error).startswith(
        f"Cloudflare trust store upload (zone {ZONE_ID}) failed: no answer from 127.0.0.1 after 4"
        " attempts (ConnectError: "
    )
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert_no_secret(error)


def test_against_the_emulator_process(emulator_process: EmulatorProcess) -> None:
    base_url = f"{emulator_process.root_url}/client/v4"
    with TrustStoreClient(ApiToken(TOKEN), base_url=base_url, retry=FAST_RETRY) as client:
        emulator_process.control.add_fault("drop_after_commit", method="POST")
        entry = client.upload(ZONE_ID, root_ca().pem)
        assert client.list(ZONE_ID) == (entry,)
        client.delete(ZONE_ID, entry.id)
        assert client.list(ZONE_ID) == ()
