"""Credentials never reach a message, repr, exception argument, pickle, traceback or log line,
whatever goes wrong, including when the server itself echoes a secret back."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from emulator import Emulator
from emulator.transport import EmulatorTransport
from provider.client import TrustStoreClient
from provider.credentials import ApiKey, ApiToken
from provider.errors import ApiError, TrustStoreError
from scripts.certs import leaf, root_ca
from tests.common import API_KEY, EMAIL, FAST_RETRY, LOCAL_URL, MISSING_ID, TOKEN, ZONE_ID

WRONG_TOKEN = "wrong-secret-Mn7bV4cX1zL8kJ5hG2fD9sA6qW3eR0t"
SECRETS = (TOKEN, WRONG_TOKEN, API_KEY)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def assert_clean_error(error: BaseException) -> None:
    """No secret in any view of the error, its chain, or its pickle; no request kept on it."""
    assert_clean(str(error))
    assert_clean(repr(error))
    assert_clean(repr(error.args))
    assert_clean("".join(traceback.format_exception(error)))
    for value in (*error.args, *vars(error).values()):
        assert not isinstance(value, httpx.Request | httpx.Response | httpx.Headers)
    data = pickle.dumps(error)
    for secret in SECRETS:
        assert secret.encode() not in data
    restored = pickle.loads(data)  # noqa: S301 - our own bytes
    assert (type(restored), str(restored)) == (type(error), str(error))


@pytest.fixture(autouse=True)
def every_log_line_is_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.DEBUG):  # every logger: ours, httpx, httpcore
        yield
    for record in caplog.get_records("call"):
        assert_clean(record.getMessage())
        assert_clean(repr(record.args))


def client_for(emulator: Emulator, credentials: ApiToken | ApiKey) -> TrustStoreClient:
    return TrustStoreClient(
        credentials,
        base_url=LOCAL_URL,
        retry=FAST_RETRY,
        timeout=httpx.Timeout(5.0, read=0.05),
        transport=EmulatorTransport(emulator),
    )


CREDENTIALS = {
    "token": (lambda: ApiToken(TOKEN), TOKEN),
    "key": (lambda: ApiKey(EMAIL, API_KEY), API_KEY),
    "wrong-token": (lambda: ApiToken(WRONG_TOKEN), WRONG_TOKEN),
}

#: (emulator, client, the client's secret) -> raises
Scenario = Callable[[Emulator, TrustStoreClient, str], object]
SCENARIOS: dict[str, Scenario] = {
    "not-found": lambda emulator, c, secret: c.get(ZONE_ID, MISSING_ID),
    "refused-certificate": lambda emulator, c, secret: c.upload(ZONE_ID, leaf(root_ca()).pem),
    "acm-disabled": lambda emulator, c, secret: (
        emulator.set_acm_enabled(ZONE_ID, False),
        c.list(ZONE_ID),
    ),
    "server-error": lambda emulator, c, secret: (
        emulator.add_fault("error", count=5),
        c.list(ZONE_ID),
    ),
    "rate-limited": lambda emulator, c, secret: (
        emulator.add_fault("rate_limit", count=5),
        c.list(ZONE_ID),
    ),
    "reset": lambda emulator, c, secret: (emulator.add_fault("reset", count=5), c.list(ZONE_ID)),
    "lost-upload": lambda emulator, c, secret: (
        emulator.add_fault("drop_after_commit", count=1),
        emulator.add_fault("reset", count=5),
        c.upload(ZONE_ID, root_ca().pem),
    ),
    "timeout": lambda emulator, c, secret: (
        emulator.add_fault("delay", delay_seconds=0.2, count=5),
        c.list(ZONE_ID),
    ),
    "invalid-id": lambda emulator, c, secret: c.delete(ZONE_ID, "../" + secret),
    "server-echoes-the-secret": lambda emulator, c, secret: (
        emulator.add_fault("error", status=400, message=f"bad credential {secret}"),
        c.list(ZONE_ID),
    ),
}


@pytest.mark.parametrize("credentials", CREDENTIALS.values(), ids=CREDENTIALS.keys())
@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_no_failure_shows_a_secret(
    emulator: Emulator,
    credentials: tuple[Callable[[], ApiToken | ApiKey], str],
    scenario: Scenario,
) -> None:
    make, secret = credentials
    with client_for(emulator, make()) as client:
        assert_clean(repr(client))
        assert_clean(str(client))
        with pytest.raises(TrustStoreError) as caught:
            scenario(emulator, client, secret)
    assert_clean_error(caught.value)


def test_server_text_quoting_a_secret_is_redacted(emulator: Emulator) -> None:
    emulator.add_fault("error", status=400, message=f"token {TOKEN} is not allowed here")
    with client_for(emulator, ApiToken(TOKEN)) as client, pytest.raises(ApiError) as caught:
        client.list(ZONE_ID)
    assert caught.value.errors[0].message == "token <redacted> is not allowed here"


def test_the_secret_is_really_sent_and_requests_are_logged(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The hygiene above would pass trivially if no credential were sent or nothing logged.
    with client_for(emulator, ApiToken(TOKEN)) as client:
        assert client.list(ZONE_ID) == ()
    with client_for(emulator, ApiKey(EMAIL, API_KEY)) as client:
        assert client.list(ZONE_ID) == ()
    assert [r["auth"] for r in emulator.requests()] == ["token", "key"]
    ours = [r.getMessage() for r in caplog.records if r.name == "provider.client"]
    assert ours == [f"GET zones/{ZONE_ID}/acm/custom_trust_store -> 200 (attempt 1)"] * 2
