"""Every error the emulator answers, with its HTTP status, code AND message (moto style).

Each test runs twice: in-process (httpx transport) and against the real server. Codes marked
OBSERVED are the real API's; the others are the emulator's documented choices
(emulator/errors.py). All bodies are also contract-checked by the fixtures at teardown.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from emulator import EmulatorConfig
from scripts.certs import NOW, CertSpec, build, ec_key, intermediate_ca, leaf, name, root_ca
from tests.common import TOKEN, ZONE_ID
from tests.fixtures.emulator import EmulatorApi

OTHER_ZONE = "0123456789abcdef0123456789abcdef"


def errors_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["result"] is None
    assert body["messages"] == []
    assert len(body["errors"]) >= 1
    return list(body["errors"])


def only_error(response: httpx.Response, status: int) -> tuple[int, str]:
    errors = errors_of(response, status)
    assert len(errors) == 1, errors
    return errors[0]["code"], errors[0]["message"]


def documented_error(response: httpx.Response, status: int) -> tuple[int, str, str]:
    """``(code, documented message, the emulator's reason)`` of a single error whose reason
    is in its ``error_chain``."""
    (error,) = errors_of(response, status)
    (reason,) = error["error_chain"]
    assert reason["code"] == error["code"]
    return error["code"], error["message"], reason["message"]


NOT_ROOT = "Only root CA certificate is allowed."
INVALID_CERTIFICATE = "Invalid certificate."


def upload(api: EmulatorApi, certificate: Any, zone_id: str = ZONE_ID) -> httpx.Response:
    return api.client.post(api.collection(zone_id), json={"certificate": certificate})


# -- request body ----------------------------------------------------------------------------


def test_body_not_json(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.post(
        emulator_api.collection(),
        content=b"certificate=abc",
        headers={"Content-Type": "text/plain"},
    )
    assert only_error(response, 400) == (1421, "Invalid request body: the body is not valid JSON")


@pytest.mark.parametrize("body", [[], "pem", 3, None])
def test_body_not_an_object(emulator_api: EmulatorApi, body: Any) -> None:
    response = emulator_api.client.post(emulator_api.collection(), content=json.dumps(body))
    assert only_error(response, 400) == (
        1421,
        'Invalid request body: expected a JSON object like {"certificate": "<PEM>"}',
    )


def test_empty_body(emulator_api: EmulatorApi) -> None:
    response = emulator_api.client.post(emulator_api.collection())
    assert only_error(response, 400)[0] == 1421


@pytest.mark.parametrize(
    "body", [{}, {"certificate": ""}, {"certificate": "  \n"}, {"certificate": 7}, {"cert": "x"}]
)
def test_missing_certificate(emulator_api: EmulatorApi, body: dict[str, Any]) -> None:
    response = emulator_api.client.post(emulator_api.collection(), json=body)
    assert only_error(response, 400) == (
        1412,
        "certificate is required: a PEM-encoded root CA certificate string",
    )


# -- certificate content ---------------------------------------------------------------------


def test_not_pem_at_all(emulator_api: EmulatorApi) -> None:
    assert documented_error(upload(emulator_api, "hello"), 400) == (
        1002,
        INVALID_CERTIFICATE,
        "no PEM block '-----BEGIN CERTIFICATE-----' ... '-----END CERTIFICATE-----' found",
    )


def test_corrupt_pem_body(emulator_api: EmulatorApi) -> None:
    pem = root_ca().pem
    lines = pem.splitlines()
    lines[3] = "A" * len(lines[3])
    assert documented_error(upload(emulator_api, "\n".join(lines)), 400) == (
        1002,
        INVALID_CERTIFICATE,
        "the PEM block is not a valid X.509 certificate",
    )


def test_text_outside_the_pem_block(emulator_api: EmulatorApi) -> None:
    assert documented_error(upload(emulator_api, "subject=CN=x\n" + root_ca().pem), 400) == (
        1002,
        INVALID_CERTIFICATE,
        "unexpected text outside the PEM block",
    )


def test_two_certificates(emulator_api: EmulatorApi) -> None:
    bundle = root_ca("Root A").pem + root_ca("Root B").pem
    assert only_error(upload(emulator_api, bundle), 400) == (
        1414,
        "Only one certificate can be uploaded at a time; the request contains 2",
    )


def test_leaf_certificate(emulator_api: EmulatorApi) -> None:
    assert documented_error(upload(emulator_api, leaf(root_ca()).pem), 400) == (
        1411,
        NOT_ROOT,
        "basicConstraints CA is FALSE (a leaf, not a CA certificate)",
    )


def test_no_basic_constraints(emulator_api: EmulatorApi) -> None:
    cert = build(CertSpec(basic_constraints=False, is_ca=False))
    assert documented_error(upload(emulator_api, cert.pem), 400) == (
        1411,
        NOT_ROOT,
        "the certificate has no basicConstraints extension (not a CA certificate)",
    )


def test_intermediate_ca(emulator_api: EmulatorApi) -> None:
    assert documented_error(upload(emulator_api, intermediate_ca(root_ca()).pem), 400) == (
        1411,
        NOT_ROOT,
        "the certificate is not self-signed (issuer "
        "differs from subject: an intermediate or leaf certificate)",
    )


def test_same_name_but_signed_by_another_key(emulator_api: EmulatorApi) -> None:
    impostor_signer = root_ca("Lookalike Root CA")
    cert = build(CertSpec(common_name="Lookalike Root CA", issuer=impostor_signer, key=ec_key()))
    assert cert.cert.issuer == cert.cert.subject == name("Lookalike Root CA")
    assert documented_error(upload(emulator_api, cert.pem), 400) == (
        1411,
        NOT_ROOT,
        "the certificate is not self-signed (its signature does not verify with its own key)",
    )


PRIVATE_KEY_MESSAGE = (
    "The request contains private key material; upload only the root CA certificate and "
    "never send a private key"
)


def test_private_key_in_certificate_field(emulator_api: EmulatorApi) -> None:
    ca = root_ca()
    response = upload(emulator_api, ca.pem + ca.key_pem)
    assert only_error(response, 400) == (1416, PRIVATE_KEY_MESSAGE)
    secret_line = ca.key_pem.splitlines()[1]
    assert secret_line not in response.text
    assert "PRIVATE KEY" not in response.text


def test_private_key_in_another_field(emulator_api: EmulatorApi) -> None:
    ca = root_ca()
    response = emulator_api.client.post(
        emulator_api.collection(), json={"certificate": ca.pem, "private_key": ca.key_pem}
    )
    assert only_error(response, 400) == (1416, PRIVATE_KEY_MESSAGE)


def test_traditional_rsa_private_key(emulator_api: EmulatorApi) -> None:
    ca = root_ca()
    traditional = ca.key.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    assert traditional.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert only_error(upload(emulator_api, traditional), 400) == (1416, PRIVATE_KEY_MESSAGE)


def test_expired_certificate(emulator_api: EmulatorApi) -> None:
    expired = build(
        CertSpec(not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1))
    )
    assert only_error(upload(emulator_api, expired.pem), 400) == (
        1417,
        "The certificate has expired: it expired on 2026-11-28T12:00:00Z",
    )


def test_duplicate_in_the_same_zone(emulator_api: EmulatorApi) -> None:
    pem = root_ca().pem
    first = upload(emulator_api, pem).json()["result"]["id"]
    assert documented_error(upload(emulator_api, pem.strip()), 400) == (
        1220,
        "This certificate has already been submitted.",
        f"it is in the zone's custom origin trust store as {first}",
    )
    # Not a duplicate in another zone.
    assert upload(emulator_api, pem, OTHER_ZONE).status_code == 200


# -- entries and routes ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_entry(emulator_api: EmulatorApi, method: str) -> None:
    missing = "f" * 32
    response = emulator_api.client.request(method, emulator_api.item(missing))
    assert only_error(response, 404) == (
        1419,
        f"Custom origin trust store certificate {missing} not found",
    )


def test_entry_of_another_zone_is_not_found(emulator_api: EmulatorApi) -> None:
    entry_id = upload(emulator_api, root_ca().pem).json()["result"]["id"]
    response = emulator_api.client.get(emulator_api.item(entry_id, OTHER_ZONE))
    assert only_error(response, 404)[0] == 1419


@pytest.mark.parametrize(
    ("zone_id", "entry_id"),
    [
        (ZONE_ID, "F" * 32),  # upper case
        (ZONE_ID, "a" * 33),  # too long
        (ZONE_ID, "not-an-id"),
        ("Z" * 32, "a" * 32),
        ("a" * 33, None),
    ],
)
def test_invalid_identifier(emulator_api: EmulatorApi, zone_id: str, entry_id: str | None) -> None:
    rest = f"/zones/{zone_id}/acm/custom_trust_store" + ("" if entry_id is None else f"/{entry_id}")
    errors = errors_of(emulator_api.client.get(rest), 400)
    assert errors == [
        {
            "code": 7003,
            "message": f"Could not route to {rest}, perhaps your object identifier is invalid?",
        },
        {"code": 7000, "message": "No route for that URI"},
    ]


@pytest.mark.parametrize(
    "path", ["/zone", f"/zones/{ZONE_ID}/acm", f"/zones/{ZONE_ID}/acm/total_tls", "/"]
)
def test_unknown_route(emulator_api: EmulatorApi, path: str) -> None:
    assert only_error(emulator_api.client.get(path), 400) == (7000, "No route for that URI")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "item"),
        ("PATCH", "item"),
        ("POST", "item"),
        ("DELETE", "collection"),
        ("PUT", "collection"),
    ],
)
def test_method_not_allowed(emulator_api: EmulatorApi, method: str, path: str) -> None:
    url = emulator_api.item("a" * 32) if path == "item" else emulator_api.collection()
    assert only_error(emulator_api.client.request(method, url, json={}), 405) == (
        10000,
        f"{method} method not allowed for the api_token authentication scheme",
    )


# -- zone switch -----------------------------------------------------------------------------

ACM_MESSAGE = (
    "Advanced Certificate Manager is not enabled for this zone; the custom origin trust store "
    "requires it."
)


@pytest.mark.parametrize("operation", ["list", "create", "get", "delete"])
def test_acm_disabled(emulator_api: EmulatorApi, operation: str) -> None:
    entry_id = upload(emulator_api, root_ca().pem).json()["result"]["id"]
    emulator_api.emulator.set_acm_enabled(ZONE_ID, False)
    client = emulator_api.client
    response = {
        "list": lambda: client.get(emulator_api.collection()),
        "create": lambda: upload(emulator_api, root_ca("Another Root").pem),
        "get": lambda: client.get(emulator_api.item(entry_id)),
        "delete": lambda: client.delete(emulator_api.item(entry_id)),
    }[operation]()
    assert only_error(response, 400) == (1450, ACM_MESSAGE)
    # Other zones are unaffected, and switching it back on restores access.
    assert client.get(emulator_api.collection(OTHER_ZONE)).status_code == 200
    emulator_api.emulator.set_acm_enabled(ZONE_ID, True)
    assert client.get(emulator_api.item(entry_id)).status_code == 200


# -- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"per_page": "4"}, "per_page must be an integer between 5 and 50"),
        ({"per_page": "51"}, "per_page must be an integer between 5 and 50"),
        ({"per_page": "2.5"}, "per_page must be an integer; got '2.5'"),
        ({"page": "0"}, "page must be an integer >= 1"),
        ({"page": "-1"}, "page must be an integer >= 1"),
        ({"page": "first"}, "page must be an integer; got 'first'"),
        ({"limit": "-1"}, "limit must be an integer >= 0"),
        ({"offset": "-5"}, "offset must be an integer >= 0"),
        ({"offset": ""}, "offset must be an integer; got ''"),
    ],
)
def test_bad_pagination(emulator_api: EmulatorApi, query: dict[str, str], message: str) -> None:
    response = emulator_api.client.get(emulator_api.collection(), params=query)
    assert only_error(response, 400) == (1420, f"Invalid query parameter: {message}")


# -- authentication --------------------------------------------------------------------------


def test_no_credentials(emulator_api: EmulatorApi) -> None:
    response = emulator_api.anonymous.get(emulator_api.collection())
    assert only_error(response, 401) == (10000, "Authentication error")


@pytest.mark.parametrize("token", ["wrong-token", TOKEN + "x", TOKEN.upper()])
def test_wrong_token(emulator_api: EmulatorApi, token: str) -> None:
    response = emulator_api.anonymous.get(
        emulator_api.collection(), headers={"Authorization": f"Bearer {token}"}
    )
    assert only_error(response, 403) == (9109, "Invalid access token")


@pytest.mark.parametrize(
    "header", [TOKEN, f"Token {TOKEN}", "Bearer", f"Bearer  {TOKEN}", f"Basic {TOKEN}"]
)
def test_malformed_authorization_header(emulator_api: EmulatorApi, header: str) -> None:
    response = emulator_api.anonymous.get(
        emulator_api.collection(), headers={"Authorization": header}
    )
    assert errors_of(response, 400) == [
        {
            "code": 6003,
            "message": "Invalid request headers",
            "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
        }
    ]


def test_legacy_key_pair_not_configured(emulator_api: EmulatorApi) -> None:
    response = emulator_api.anonymous.get(
        emulator_api.collection(), headers={"X-Auth-Email": "a@example.com", "X-Auth-Key": "k"}
    )
    assert only_error(response, 403) == (9103, "Unknown X-Auth-Key or X-Auth-Email")


@pytest.mark.parametrize(
    ("headers", "chain"),
    [
        ({"X-Auth-Email": "a@example.com"}, [6103]),
        ({"X-Auth-Key": "k"}, [6102]),
        ({"X-Auth-Email": "", "X-Auth-Key": ""}, [6102, 6103]),
    ],
)
def test_incomplete_key_pair(
    emulator_api: EmulatorApi, headers: dict[str, str], chain: list[int]
) -> None:
    errors = errors_of(emulator_api.anonymous.get(emulator_api.collection(), headers=headers), 400)
    assert [(e["code"], e["message"]) for e in errors] == [(6003, "Invalid request headers")]
    assert [c["code"] for c in errors[0]["error_chain"]] == chain


KEY_PAIR = EmulatorConfig(token=TOKEN, email="ops@example.com", api_key="0123456789abcdef")


@pytest.mark.parametrize("emulator_config", [KEY_PAIR], indirect=True)
@pytest.mark.parametrize(
    ("email", "key", "status"),
    [
        ("ops@example.com", "0123456789abcdef", 200),
        ("ops@example.com", "wrong", 403),
        ("other@example.com", "0123456789abcdef", 403),
    ],
)
def test_legacy_key_pair(emulator_api: EmulatorApi, email: str, key: str, status: int) -> None:
    response = emulator_api.anonymous.get(
        emulator_api.collection(), headers={"X-Auth-Email": email, "X-Auth-Key": key}
    )
    assert response.status_code == status
    if status == 403:
        assert only_error(response, 403) == (9103, "Unknown X-Auth-Key or X-Auth-Email")


# -- rate limiting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, rate_limit=(3, 60))], indirect=True
)
def test_rate_limited(emulator_api: EmulatorApi) -> None:
    for _ in range(3):
        assert emulator_api.client.get(emulator_api.collection()).status_code == 200
    response = emulator_api.client.get(emulator_api.collection())
    assert only_error(response, 429) == (
        971,
        "Please wait and consider throttling your request speed",
    )
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    emulator_api.emulator.advance_clock(61)
    assert emulator_api.client.get(emulator_api.collection()).status_code == 200
