"""The OFFICIAL Cloudflare Python SDK (pinned, unmodified) against the emulator's real server.

A client we did not write agreeing with the emulator is the strongest evidence that the
emulator's wire format (paths, envelope, types, pagination, errors) matches Cloudflare's.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import cloudflare
import pytest
from cloudflare import Cloudflare

from emulator import EmulatorConfig
from emulator.server import EmulatorServer
from scripts.certs import NOW, leaf, root_ca
from tests.common import TOKEN, ZONE_ID


@pytest.fixture
def sdk(emulator_server: EmulatorServer) -> Iterator[Cloudflare]:
    client = Cloudflare(api_token=TOKEN, base_url=emulator_server.base_url, max_retries=0)
    with client:
        yield client


def test_version_is_the_pinned_one() -> None:
    assert cloudflare.__version__ == "5.9.0"


def test_upload_get_list_delete(sdk: Cloudflare, emulator_server: EmulatorServer) -> None:
    ca = root_ca("SDK Root CA")
    store = sdk.acm.custom_trust_store
    created = store.create(zone_id=ZONE_ID, certificate=ca.pem.rstrip("\n"))
    assert created is not None
    assert len(created.id) == 32
    assert created.certificate == ca.pem  # exactly one trailing newline
    assert created.status == "active"
    assert created.issuer == "Example Origin"
    assert created.signature == "SHA256WithRSA"
    assert created.expires_on == ca.cert.not_valid_after_utc
    assert created.uploaded_on.tzinfo is not None
    assert abs(created.uploaded_on - NOW) < dt.timedelta(minutes=1)

    fetched = store.get(created.id, zone_id=ZONE_ID)
    assert fetched == created

    listed = list(store.list(zone_id=ZONE_ID))
    assert listed == [created]

    deleted = store.delete(created.id, zone_id=ZONE_ID)
    assert deleted is not None
    assert deleted.id == created.id
    with pytest.raises(cloudflare.NotFoundError) as caught:
        store.get(created.id, zone_id=ZONE_ID)
    assert caught.value.status_code == 404
    assert caught.value.body == {
        "success": False,
        "errors": [
            {
                "code": 1419,
                "message": f"Custom origin trust store certificate {created.id} not found",
            }
        ],
        "messages": [],
        "result": None,
    }


@pytest.mark.parametrize("per_page", [None, 5, 50])
def test_auto_paging_over_more_than_fifty(
    sdk: Cloudflare, emulator_server: EmulatorServer, per_page: int | None
) -> None:
    ids = [
        sdk.acm.custom_trust_store.create(zone_id=ZONE_ID, certificate=root_ca(f"Root {i}").pem).id  # type: ignore[union-attr]
        for i in range(57)
    ]
    emulator_server.emulator.clear_requests()
    kwargs = {} if per_page is None else {"per_page": per_page}
    seen = [entry.id for entry in sdk.acm.custom_trust_store.list(zone_id=ZONE_ID, **kwargs)]
    assert seen == ids
    pages = [r["query"].get("page", "1") for r in emulator_server.emulator.requests()]
    size = per_page or 20
    expected_pages = -(-57 // size) + 1  # every full page, then one empty page ends the loop
    assert pages == [str(p) for p in range(1, expected_pages + 1)]


def test_sdk_errors_carry_code_and_message(sdk: Cloudflare) -> None:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.acm.custom_trust_store.create(zone_id=ZONE_ID, certificate=leaf(root_ca()).pem)
    assert caught.value.status_code == 400
    assert [(e.code, e.message) for e in caught.value.errors] == [
        (1411, "Only root CA certificate is allowed.")
    ]


def test_wrong_token_is_permission_denied(emulator_server: EmulatorServer) -> None:
    with (
        Cloudflare(api_token="nope", base_url=emulator_server.base_url, max_retries=0) as client,
        pytest.raises(cloudflare.PermissionDeniedError) as caught,
    ):
        client.acm.custom_trust_store.list(zone_id=ZONE_ID)
    assert [(e.code, e.message) for e in caught.value.errors] == [(9109, "Invalid access token")]


def test_acm_disabled_through_the_sdk(sdk: Cloudflare, emulator_server: EmulatorServer) -> None:
    emulator_server.emulator.set_acm_enabled(ZONE_ID, False)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.acm.custom_trust_store.list(zone_id=ZONE_ID)
    assert [e.code for e in caught.value.errors] == [1450]


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(token=None, email="ops@example.com", api_key="0123456789abcdef")],
    indirect=True,
)
def test_legacy_key_pair(emulator_server: EmulatorServer) -> None:
    with Cloudflare(
        api_email="ops@example.com",
        api_key="0123456789abcdef",
        base_url=emulator_server.base_url,
        max_retries=0,
    ) as client:
        assert list(client.acm.custom_trust_store.list(zone_id=ZONE_ID)) == []
    assert emulator_server.emulator.requests()[-1]["auth"] == "key"


def test_sdk_retries_an_injected_429_after_retry_after(
    emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_server.emulator.add_fault("rate_limit", retry_after=3, count=1)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # the SDK's only way to wait
    with Cloudflare(api_token=TOKEN, base_url=emulator_server.base_url, max_retries=2) as client:
        assert list(client.acm.custom_trust_store.list(zone_id=ZONE_ID)) == []
    log = emulator_server.emulator.requests()
    assert [(r["status"], r["fault"]) for r in log] == [(429, "rate_limit"), (200, None)]
    assert waits == [3.0]  # it honoured Retry-After: 3 (its own backoff would be < 1 s)


def test_sdk_retries_an_injected_503(emulator_server: EmulatorServer) -> None:
    emulator_server.emulator.add_fault("error", status=503, method="POST")
    with Cloudflare(api_token=TOKEN, base_url=emulator_server.base_url, max_retries=2) as client:
        created = client.acm.custom_trust_store.create(zone_id=ZONE_ID, certificate=root_ca().pem)
    assert created is not None
    assert [r["status"] for r in emulator_server.emulator.requests()] == [503, 200]
