"""Issue 8, hole 9: each message the user meets, exactly, and that its advice leads somewhere
safe (the end-to-end tests follow the lifecycle messages' advice on the real engine)."""

from __future__ import annotations

import datetime as dt
import sys

import httpx
import pytest

from policies.trust_rules import resource_rules
from policies.trust_rules.certificates import facts_from_text
from policies.trust_rules.outcomes import Place
from provider import host_errors
from provider.client import TrustStoreClient
from provider.config import resolve_settings
from provider.credentials import ApiToken
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    AuthenticationError,
    CloudflareMessage,
    ConfigurationError,
    TransportError,
)
from provider.properties import check_inputs
from tests.certs import NOW, CertSpec, build, root_ca
from tests.fixtures.emulator import ZONE_ID

ROOT = root_ca("Message Root")


def refusal(news: dict[str, object]) -> str:
    _, failures = check_inputs({"zoneId": ZONE_ID, "certificate": ROOT.pem, **news})
    [failure] = failures
    return failure.reason


def test_a_timeout_of_zero_is_quoted_as_the_number_given() -> None:
    assert refusal({"activeTimeoutSeconds": 0.0}) == (
        "activeTimeoutSeconds must be a whole number of seconds from 1 to 3600; got 0."
    )
    assert refusal({"activeTimeoutSeconds": 2.5}).endswith("; got 2.5.")


def test_a_malformed_zone_id_names_its_bad_character() -> None:
    assert refusal({"zoneId": "023e105f4ecef8ad9ca31a8372d0c35z"}) == (
        "zoneId must be the zone's 32-character hexadecimal id (like"
        " 023e105f4ecef8ad9ca31a8372d0c353, on the zone's Overview page in the Cloudflare"
        " dashboard); got '023e10'… (32 characters), whose character 32 ('z') is not a hex"
        " digit."
    )
    assert refusal({"zoneId": "023e105f"}).endswith(
        "got '023e105f', which has 8 characters instead of 32."
    )


def test_acm_off_ends_each_sentence_once() -> None:
    error = AcmNotEnabledError(
        operation="list",
        zone_id=ZONE_ID,
        status_code=400,
        errors=(CloudflareMessage(1450, "Advanced Certificate Manager is not enabled."),),
    )
    assert str(error) == (
        f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 400: [1450] Advanced"
        " Certificate Manager is not enabled. The Custom Origin Trust Store needs Advanced"
        " Certificate Manager: enable it for this zone in the Cloudflare dashboard (SSL/TLS >"
        " Edge Certificates), then retry."
    )


def test_missing_credentials_say_so_once() -> None:
    with pytest.raises(ConfigurationError) as missing:
        resolve_settings({}, {})
    assert str(missing.value) == (
        "No Cloudflare credentials: `pulumi config set --secret cloudflare:apiToken`, or set"
        " CLOUDFLARE_API_TOKEN (legacy: cloudflare:email + cloudflare:apiKey, or"
        " CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)."
    )


def answering(status: int, code: int, message: str) -> TrustStoreClient:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": []}
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, json=body | {"result": None})
    )
    return TrustStoreClient(
        ApiToken("t" * 40), base_url="https://api.example.test/client/v4", transport=transport
    )


def test_an_expired_upload_gets_the_expiry_hint_not_the_root_hint() -> None:
    with pytest.raises(ApiError) as refused:
        answering(400, 1417, "The certificate has expired.").upload(ZONE_ID, ROOT.pem)
    assert str(refused.value) == (
        f"Cloudflare trust store upload (zone {ZONE_ID}) failed with HTTP 400: [1417] The"
        " certificate has expired. An expired CA cannot be deployed: upload a root CA that is"
        " valid now."
    )


def test_a_base_url_without_client_v4_is_named_as_the_cause() -> None:
    with pytest.raises(ApiError) as refused:
        answering(400, 7000, "No route for that URI").list(ZONE_ID)
    assert str(refused.value) == (
        f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 400: [7000] No route for"
        " that URI. The API has no such route: the base URL must be the API's root, ending in"
        " /client/v4 (like https://api.cloudflare.com/client/v4); check CLOUDFLARE_BASE_URL."
    )


def test_hints_name_the_stack_config_the_user_set_and_refresh_names_stored_settings() -> None:
    error = TransportError(operation="get", zone_id=ZONE_ID, host="h", reason="ConnectError")
    shown = host_errors.user_message(error, "read", {"cloudflare:baseUrl"})
    assert "CLOUDFLARE_BASE_URL" not in shown
    assert "the base URL (cloudflare:baseUrl (stack config))" in shown
    assert shown.endswith(host_errors.STALE_CONFIG_HINT)
    auth = AuthenticationError(operation="list", zone_id=ZONE_ID, status_code=403)
    assert "CLOUDFLARE_API_KEY" in host_errors.user_message(auth, "create")
    assert host_errors.STALE_CONFIG_HINT not in host_errors.user_message(auth, "create")
    assert "cloudflare:apiKey (stack config)" in host_errors.user_message(
        auth, "create", {"cloudflare:apiKey"}
    )


def test_days_left_are_not_floored() -> None:
    fresh = facts_from_text(
        build(
            CertSpec(
                common_name="Fresh",
                not_before=NOW - dt.timedelta(minutes=1),
                not_after=NOW + dt.timedelta(days=20) - dt.timedelta(minutes=1),
            )
        ).pem
    )
    message = resource_rules.not_near_expiry(
        fresh, Place("ca", ZONE_ID), now=NOW, min_days_remaining=30
    )
    assert message is not None
    assert "20 days from now" in message


def test_the_host_prints_our_message_alone_and_a_bugs_traceback_whole() -> None:
    host = host_errors._HostTraceback()
    error = AuthenticationError(operation="list", zone_id=ZONE_ID, status_code=401)
    try:
        raise error
    except AuthenticationError:
        assert host.format_exc() == str(error)
    error.user_text = "completed text"  # type: ignore[attr-defined]
    try:
        raise error
    except AuthenticationError:
        assert host.format_exc() == "completed text"
    try:
        raise KeyError("bug")
    except KeyError:
        shown = host.format_exc()
    assert shown.startswith("Traceback (most recent call last):")
    assert "KeyError: 'bug'" in shown
    assert sys.modules.get("pulumi.dynamic.__main__") is None, "only the host is touched"
