"""Our client against the emulator's REAL server (loopback socket, HTTP control API): the
official SDK's scenario, refusals, a refused connection and the emulator as a process. Every
fault mode over a real socket is in tests/unit/test_client_faults.py (both transports)."""

from __future__ import annotations

import logging
import pickle
import socket
import traceback
from collections.abc import Iterator

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
    TransportError,
)
from scripts.certs import intermediate_ca, root_ca
from tests.common import API_KEY, EMAIL, FAST_RETRY, TOKEN, ZONE_ID

READ_TIMEOUT = 0.2


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
