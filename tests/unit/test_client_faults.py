"""Retries and reconciliation against the real emulator's injected faults, on two transports.

Every case runs twice: in-process (``EmulatorTransport``, no socket) and over a real loopback
socket (``EmulatorServer``), so the two fault suites cannot drift apart. For every fault mode:
retried then succeeded, or a clear error after the retry budget. An upload whose outcome is
unknown is reconciled by listing the zone before any new POST, so one ``upload`` call never
leaves two entries.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulator import Emulator, EmulatorConfig
from emulator.server import EmulatorServer
from emulator.transport import EmulatorTransport
from provider.client import TrustStoreClient
from provider.credentials import ApiToken
from provider.errors import ApiError, NotFoundError, RateLimitedError, ServerError, TransportError
from provider.retry import RetryPolicy
from scripts.certs import root_ca
from tests.common import FAST_RETRY, LOCAL_URL, TOKEN, ZONE_ID

#: The client's read timeout and the ``delay`` fault that trips it: short in-process; longer
#: over a socket, where a loaded machine must not trip the timeout on an ordinary answer.
IN_PROCESS_TIMING = (0.05, 0.2)
SOCKET_TIMING = (0.5, 1.2)
#: How long to wait for a request the server still handles after the client gave up on it.
SETTLE_SECONDS = 10.0


@dataclass
class Rig:
    """An emulator and the way a client reaches it: in-process, or over a loopback socket."""

    emulator: Emulator
    base_url: str
    host: str
    in_process: bool
    read_timeout: float
    #: Seconds of a ``delay`` fault: longer than ``read_timeout``.
    delay: float

    def client(self, retry: RetryPolicy = FAST_RETRY) -> TrustStoreClient:
        return TrustStoreClient(
            ApiToken(TOKEN),
            base_url=self.base_url,
            retry=retry,
            timeout=httpx.Timeout(5.0, read=self.read_timeout),
            transport=EmulatorTransport(self.emulator) if self.in_process else None,
        )

    def add_fault(self, mode: str, **fields: Any) -> None:
        """Queue a fault; a ``delay`` lasts ``self.delay`` unless told otherwise."""
        if mode == "delay":
            fields.setdefault("delay_seconds", self.delay)
        self.emulator.add_fault(mode, **fields)


def in_process_rig(emulator: Emulator) -> Rig:
    return Rig(emulator, LOCAL_URL, "localhost", True, *IN_PROCESS_TIMING)


@pytest.fixture(params=["in-process", "socket"])
def rig(request: pytest.FixtureRequest, emulator_config: EmulatorConfig) -> Rig:
    """Both emulators are built from ``emulator_config`` (parametrize it indirectly)."""
    if request.param == "in-process":
        return in_process_rig(request.getfixturevalue("emulator"))
    server: EmulatorServer = request.getfixturevalue("emulator_server")
    return Rig(server.emulator, server.base_url, "127.0.0.1", False, *SOCKET_TIMING)


@pytest.fixture
def client(rig: Rig) -> Iterator[TrustStoreClient]:
    with rig.client() as made:
        yield made


def seen(emulator: Emulator) -> list[tuple[str, Any, Any]]:
    """(method, status, fault) of every API request, in order; status None = no answer.

    Over a socket a delayed request may still be running after the client gave up on it:
    wait until it is answered, so both transports log the same."""
    deadline = time.monotonic() + SETTLE_SECONDS
    records = emulator.requests()
    while any(r["status"] is None and r["fault"] == "delay" for r in records):
        assert time.monotonic() < deadline, "a delayed request never finished"
        time.sleep(0.02)
        records = emulator.requests()
    return [(r["method"], r["status"], r["fault"]) for r in records]


def stored_ids(emulator: Emulator) -> list[str]:
    return [entry.id for entry in emulator.store.entries()]


class TestReadsAreRetried:
    @pytest.mark.parametrize(
        ("mode", "fields", "first"),
        [
            ("error", {"status": 503}, ("GET", 503, "error")),
            ("error", {"status": 500}, ("GET", 500, "error")),
            ("error", {"status": 408}, ("GET", 408, "error")),
            ("rate_limit", {"retry_after": 0}, ("GET", 429, "rate_limit")),
            ("reset", {}, ("GET", None, "reset")),
            ("drop_after_commit", {}, ("GET", None, "drop_after_commit")),
            ("delay", {}, ("GET", 200, "delay")),
        ],
    )
    def test_each_fault_is_ridden_out(
        self,
        client: TrustStoreClient,
        rig: Rig,
        mode: str,
        fields: dict[str, Any],
        first: tuple[str, Any, Any],
    ) -> None:
        entry = rig.emulator.store.upload(ZONE_ID, root_ca().pem)
        rig.add_fault(mode, count=2, method="GET", **fields)

        assert client.get(ZONE_ID, entry["id"]).id == entry["id"]
        assert [client_entry.id for client_entry in client.list(ZONE_ID)] == [entry["id"]]
        assert seen(rig.emulator) == [first, first, ("GET", 200, None), ("GET", 200, None)]

    def test_a_slow_answer_within_the_read_timeout_is_simply_awaited(self, rig: Rig) -> None:
        rig.add_fault("delay", delay_seconds=0.001)
        with rig.client() as client:
            assert client.list(ZONE_ID) == ()
        assert seen(rig.emulator) == [("GET", 200, "delay")]


class TestErrorsAfterTheBudget:
    def test_5xx_beyond_the_budget_is_a_server_error_with_cloudflares_words(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("error", status=503, count=10, code=1234, message="Service busy")
        with pytest.raises(ServerError) as caught:
            client.list(ZONE_ID)
        error = caught.value
        assert (error.status_code, error.codes, error.attempts) == (503, (1234,), 4)
        assert str(error) == (
            f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 503 after 4 attempts:"
            " [1234] Service busy. Cloudflare could not serve the request: try again later, and"
            " check the Cloudflare status page if it persists."
        )
        assert len(rig.emulator.requests()) == 4

    def test_a_429_storm_beyond_the_budget_is_rate_limited(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("rate_limit", count=10, retry_after=1)
        with pytest.raises(RateLimitedError) as caught:
            client.get(ZONE_ID, "ab" * 16)
        assert (caught.value.status_code, caught.value.codes) == (429, (971,))
        assert str(caught.value).startswith(
            f"Cloudflare trust store get (zone {ZONE_ID}, entry {'ab' * 16}) failed with HTTP 429"
            " after 4 attempts: [971] Please wait and consider throttling your request speed."
            " Cloudflare allows 1200 requests per 5 minutes per user"
        )

    def test_connection_resets_beyond_the_budget_are_a_transport_error(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("reset", count=10)
        with pytest.raises(TransportError) as caught:
            client.list(ZONE_ID)
        assert str(caught.value) == (
            f"Cloudflare trust store list (zone {ZONE_ID}) failed: no answer from {rig.host}"
            " after 4 attempts (ReadError: [Errno 104] Connection reset by peer). Check network"
            " access, proxy settings and the base URL (CLOUDFLARE_BASE_URL), then try again."
        )
        assert isinstance(caught.value.__cause__, httpx.ReadError)

    def test_the_time_budget_stops_retries_before_the_attempt_count(self, rig: Rig) -> None:
        rig.add_fault("rate_limit", count=10, retry_after=1)
        patient = RetryPolicy(max_attempts=10, max_retry_after=0.02, max_elapsed=0.05)
        with rig.client(patient) as client, pytest.raises(RateLimitedError) as caught:
            client.list(ZONE_ID)
        assert 2 <= caught.value.attempts < 10
        assert len(rig.emulator.requests()) == caught.value.attempts

    def test_client_errors_are_not_retried(self, client: TrustStoreClient, rig: Rig) -> None:
        rig.add_fault("error", status=400, count=10)
        with pytest.raises(ApiError) as caught:
            client.list(ZONE_ID)
        assert (type(caught.value), caught.value.codes) == (ApiError, (1400,))
        assert "failed with HTTP 400: [1400] Injected fault: HTTP 400" in str(caught.value)
        assert len(rig.emulator.requests()) == 1


class TestRetryAfter:
    def test_retry_after_sets_the_wait_and_is_capped(
        self, rig: Rig, caplog: pytest.LogCaptureFixture
    ) -> None:
        policy = RetryPolicy(initial_backoff=5.0, max_retry_after=0.02)
        rig.add_fault("rate_limit", count=1, retry_after=0)
        rig.add_fault("rate_limit", count=1, retry_after=1)
        with (
            caplog.at_level(logging.DEBUG, logger="provider.client"),
            rig.client(policy) as c,
        ):
            assert c.list(ZONE_ID) == ()
        waits = re.findall(r"retrying in (\d+\.\d+)s", caplog.text)
        # 0 as asked (not the 5 s backoff), then 1 s capped to max_retry_after.
        assert waits == ["0.000", "0.020"]
        assert seen(rig.emulator) == [
            ("GET", 429, "rate_limit"),
            ("GET", 429, "rate_limit"),
            ("GET", 200, None),
        ]


class TestUploadIsNeverDuplicated:
    def test_response_lost_after_commit_is_reconciled_by_listing(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("drop_after_commit", method="POST")
        entry = client.upload(ZONE_ID, root_ca("Lost Answer Root").pem)

        assert stored_ids(rig.emulator) == [entry.id]
        assert seen(rig.emulator) == [("POST", None, "drop_after_commit"), ("GET", 200, None)]

    def test_read_timeout_on_upload_is_ambiguous_and_reconciled(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        # The client gives up on the slow POST and lists the zone. In-process the POST is
        # already stored and found; over a socket the server may finish it after the client
        # posted again, and refuses the later one as a duplicate. Either way: one entry.
        rig.add_fault("delay", method="POST")
        entry = client.upload(ZONE_ID, root_ca("Slow Root").pem)

        log = seen(rig.emulator)
        assert stored_ids(rig.emulator) == [entry.id]
        assert [method for method, _, _ in log[:2]] == ["POST", "GET"]
        assert [status for method, status, _ in log if method == "POST"].count(200) == 1
        if rig.in_process:
            assert log == [("POST", 200, "delay"), ("GET", 200, None)]

    @pytest.mark.parametrize(
        ("mode", "fields", "first"),
        [
            ("reset", {}, ("POST", None, "reset")),
            ("error", {"status": 502}, ("POST", 502, "error")),
        ],
    )
    def test_ambiguous_failure_that_did_not_apply_posts_again(
        self,
        client: TrustStoreClient,
        rig: Rig,
        mode: str,
        fields: dict[str, Any],
        first: tuple[str, Any, Any],
    ) -> None:
        rig.add_fault(mode, method="POST", **fields)
        entry = client.upload(ZONE_ID, root_ca().pem)

        assert stored_ids(rig.emulator) == [entry.id]
        assert seen(rig.emulator) == [first, ("GET", 200, None), ("POST", 200, None)]

    def test_rate_limited_upload_is_resent_without_listing(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("rate_limit", method="POST", retry_after=0)
        entry = client.upload(ZONE_ID, root_ca().pem)

        assert stored_ids(rig.emulator) == [entry.id]
        assert seen(rig.emulator) == [("POST", 429, "rate_limit"), ("POST", 200, None)]

    def test_reconciliation_survives_a_failing_listing(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("drop_after_commit", method="POST")
        rig.add_fault("error", method="GET", status=503)
        entry = client.upload(ZONE_ID, root_ca().pem)

        assert stored_ids(rig.emulator) == [entry.id]
        assert seen(rig.emulator) == [
            ("POST", None, "drop_after_commit"),
            ("GET", 503, "error"),
            ("GET", 200, None),
        ]

    def test_reconciliation_matches_the_certificate_not_just_any_entry(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        neighbour = rig.emulator.store.upload(ZONE_ID, root_ca("Neighbour Root").pem)
        rig.add_fault("reset", method="POST")
        entry = client.upload(ZONE_ID, root_ca("Wanted Root").pem)

        assert entry.id != neighbour["id"]
        assert stored_ids(rig.emulator) == [neighbour["id"], entry.id]

    @pytest.mark.parametrize(
        "emulator_config", [EmulatorConfig(token=TOKEN, deletion_delay=60)], indirect=True
    )
    def test_an_entry_being_deleted_is_not_taken_for_the_upload(self, rig: Rig) -> None:
        pem = root_ca("Rotated Root").pem
        old = rig.emulator.store.upload(ZONE_ID, pem)
        rig.emulator.store.delete(ZONE_ID, old["id"])
        rig.add_fault("reset", method="POST")
        with rig.client() as client:
            entry = client.upload(ZONE_ID, pem)
        assert entry.id != old["id"]
        assert [(r["method"], r["status"]) for r in rig.emulator.requests()] == [
            ("POST", None),
            ("GET", 200),
            ("POST", 200),
        ]

    def test_5xx_beyond_the_budget_says_the_upload_may_have_happened(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("error", method="POST", status=503, count=10)
        with pytest.raises(ServerError) as caught:
            client.upload(ZONE_ID, root_ca().pem)
        assert caught.value.outcome_unknown
        assert (
            "failed with HTTP 503 after 4 attempts: [1503] Injected fault: HTTP 503 (emulator fault"
            " injection). An earlier attempt may have reached Cloudflare: list the zone to see"
            " whether the certificate was stored before uploading it again."
        ) in str(caught.value)
        assert [r["method"] for r in rig.emulator.requests()] == ["POST", "GET"] * 3 + ["POST"]
        assert stored_ids(rig.emulator) == []

    def test_resets_beyond_the_budget_on_upload_are_a_transport_error(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        rig.add_fault("reset", count=20)
        with pytest.raises(TransportError) as caught:
            client.upload(ZONE_ID, root_ca().pem)
        assert caught.value.attempts == 4
        assert caught.value.outcome_unknown
        assert stored_ids(rig.emulator) == []


class TestDeleteAfterAnAmbiguousFailure:
    def test_a_lost_answer_then_404_means_deleted(self, client: TrustStoreClient, rig: Rig) -> None:
        entry = rig.emulator.store.upload(ZONE_ID, root_ca().pem)
        rig.add_fault("drop_after_commit", method="DELETE")

        assert client.delete(ZONE_ID, entry["id"]) is None
        assert stored_ids(rig.emulator) == []
        assert seen(rig.emulator) == [("DELETE", None, "drop_after_commit"), ("DELETE", 404, None)]

    def test_a_timed_out_delete_is_retried(self, client: TrustStoreClient, rig: Rig) -> None:
        entry = rig.emulator.store.upload(ZONE_ID, root_ca().pem)
        rig.add_fault("delay", method="DELETE")

        client.delete(ZONE_ID, entry["id"])
        assert stored_ids(rig.emulator) == []
        # One of the two deletes removed it, the other found it gone; over a socket the
        # retry may land first.
        log = seen(rig.emulator)
        assert sorted((method, status) for method, status, _ in log) == [
            ("DELETE", 200),
            ("DELETE", 404),
        ]

    def test_a_rate_limited_delete_then_404_is_still_not_found(
        self, client: TrustStoreClient, rig: Rig
    ) -> None:
        # 429 means the first attempt was refused, so a 404 afterwards is a real 404.
        rig.add_fault("rate_limit", method="DELETE", retry_after=0)
        with pytest.raises(NotFoundError) as caught:
            client.delete(ZONE_ID, "ab" * 16)
        assert caught.value.codes == (1419,)
