"""Credentials never reach a message, repr, exception argument, pickle, traceback or log line,
whatever goes wrong, including when the server itself echoes a secret back."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from emulator import Emulator, EmulatorConfig
from emulator.transport import EmulatorTransport
from provider.client import TrustStoreClient
from provider.credentials import ApiKey, ApiToken
from provider.errors import ApiError, TrustStoreError
from provider.retry import RetryPolicy
from scripts.certs import leaf, root_ca

TOKEN = "secret-token-Zq8vW2xR7tY4uI9oP3aS6dF1gH5jK0l"
WRONG_TOKEN = "wrong-secret-Mn7bV4cX1zL8kJ5hG2fD9sA6qW3eR0t"
EMAIL = "ops@example.com"
API_KEY = "secret-global-key-Yt6rE3wQ9uI2oP5aS8dF1g"
SECRETS = (TOKEN, WRONG_TOKEN, API_KEY)
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
MISSING_ID = "ffffffffffffffffffffffffffffffff"
LOCAL_URL = "http://localhost/client/v4"
FAST = RetryPolicy(max_attempts=2, initial_backoff=0.001, max_backoff=0.002, max_retry_after=0.01)


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


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(token=TOKEN, email=EMAIL, api_key=API_KEY)


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    """The shared in-process emulator (frozen clock at NOW; every response checked against
    the pinned OpenAPI excerpt at teardown)."""
    return emulator


def client_for(emu: Emulator, credentials: ApiToken | ApiKey) -> TrustStoreClient:
    return TrustStoreClient(
        credentials,
        base_url=LOCAL_URL,
        retry=FAST,
        timeout=httpx.Timeout(5.0, read=0.05),
        transport=EmulatorTransport(emu),
    )


CREDENTIALS = {
    "token": (lambda: ApiToken(TOKEN), TOKEN),
    "key": (lambda: ApiKey(EMAIL, API_KEY), API_KEY),
    "wrong-token": (lambda: ApiToken(WRONG_TOKEN), WRONG_TOKEN),
}

#: (emulator, client, the client's secret) -> raises
Scenario = Callable[[Emulator, TrustStoreClient, str], object]
SCENARIOS: dict[str, Scenario] = {
    "not-found": lambda emu, c, secret: c.get(ZONE, MISSING_ID),
    "refused-certificate": lambda emu, c, secret: c.upload(ZONE, leaf(root_ca()).pem),
    "acm-disabled": lambda emu, c, secret: (emu.set_acm_enabled(ZONE, False), c.list(ZONE)),
    "server-error": lambda emu, c, secret: (emu.add_fault("error", count=5), c.list(ZONE)),
    "rate-limited": lambda emu, c, secret: (emu.add_fault("rate_limit", count=5), c.list(ZONE)),
    "reset": lambda emu, c, secret: (emu.add_fault("reset", count=5), c.list(ZONE)),
    "lost-upload": lambda emu, c, secret: (
        emu.add_fault("drop_after_commit", count=1),
        emu.add_fault("reset", count=5),
        c.upload(ZONE, root_ca().pem),
    ),
    "timeout": lambda emu, c, secret: (
        emu.add_fault("delay", delay_seconds=0.2, count=5),
        c.list(ZONE),
    ),
    "invalid-id": lambda emu, c, secret: c.delete(ZONE, "../" + secret),
    "server-echoes-the-secret": lambda emu, c, secret: (
        emu.add_fault("error", status=400, message=f"bad credential {secret}"),
        c.list(ZONE),
    ),
}


@pytest.mark.parametrize("credentials", CREDENTIALS.values(), ids=CREDENTIALS.keys())
@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_no_failure_shows_a_secret(
    emu: Emulator,
    credentials: tuple[Callable[[], ApiToken | ApiKey], str],
    scenario: Scenario,
) -> None:
    make, secret = credentials
    with client_for(emu, make()) as client:
        assert_clean(repr(client))
        assert_clean(str(client))
        with pytest.raises(TrustStoreError) as caught:
            scenario(emu, client, secret)
    assert_clean_error(caught.value)


def test_server_text_quoting_a_secret_is_redacted(emu: Emulator) -> None:
    emu.add_fault("error", status=400, message=f"token {TOKEN} is not allowed here")
    with client_for(emu, ApiToken(TOKEN)) as client, pytest.raises(ApiError) as caught:
        client.list(ZONE)
    assert caught.value.errors[0].message == "token <redacted> is not allowed here"


def test_the_secret_is_really_sent_and_requests_are_logged(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The hygiene above would pass trivially if no credential were sent or nothing logged.
    with client_for(emu, ApiToken(TOKEN)) as client:
        assert client.list(ZONE) == ()
    with client_for(emu, ApiKey(EMAIL, API_KEY)) as client:
        assert client.list(ZONE) == ()
    assert [r["auth"] for r in emu.requests()] == ["token", "key"]
    ours = [r.getMessage() for r in caplog.records if r.name == "provider.client"]
    assert ours == [f"GET zones/{ZONE}/acm/custom_trust_store -> 200 (attempt 1)"] * 2
