"""Entry ids in both forms Cloudflare may use: 32 hex digits (the API reference: at most 32
characters) and UUIDs (8-4-4-4-12, as the official SDK's generated tests use). Whichever the live
API issues, the client and the provider work; nothing else that could alter a request path is
accepted.

The end-to-end test puts a small HTTP proxy in front of the emulator (which keeps issuing 32-hex
ids) that shows every id to the client in UUID form and maps it back on the way in: the real
client and provider, over real sockets, see a server that speaks UUID ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from emulator.server import EmulatorServer
from provider import zone_safety
from provider.client import TrustStoreClient, validate_entry_id
from provider.credentials import ApiToken
from provider.entries import parse_entry
from provider.errors import InvalidInputError
from provider.resource import CustomOriginTrustStoreProvider
from tests.certs import root_ca
from tests.fixtures.emulator import TOKEN, ZONE_ID
from tests.fixtures.uuid_proxy import UuidProxy, uuid_proxy
from tests.unit.test_resource import checked, configured

UUID = "0123abcd-89ab-cdef-0123-456789abcdef"
_ITEM_PATH = re.compile(r"^(.*/acm/custom_trust_store/)([0-9a-f-]{36})$")
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})


# --- one validator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0" * 32, "0" * 32),
        ("ABCDEF", "abcdef"),
        (UUID, UUID),
        (UUID.upper(), UUID),
    ],
)
def test_both_forms_are_accepted(value: str, expected: str) -> None:
    assert validate_entry_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * 33,
        UUID + "/",
        UUID + "/../tokens",
        "../" + UUID,
        UUID.replace("-", "/"),
        UUID[:-1] + "%2F",
        UUID + "?page=2",
        UUID + "\n",
        "{" + UUID + "}",
        "urn:uuid:" + UUID,
        UUID.replace("-", ""),  # 32 hex digits: fine as the hex form, checked below
        "0123abcd-89ab-cdef-0123-456789abcdeg",
        "0123abcd89ab-cdef-0123-456789abcdef-",
        "-" * 36,
    ],
)
def test_anything_that_could_alter_a_path_is_refused(value: str) -> None:
    if value == UUID.replace("-", ""):
        assert validate_entry_id(value) == value
        return
    with pytest.raises(InvalidInputError) as caught:
        validate_entry_id(value)
    assert caught.value.parameter == "entry_id"
    assert "expected 1 to 32 hex digits" in str(caught.value)
    assert "or a UUID" in str(caught.value)


def test_non_strings_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="entry_id must be a string"):
        validate_entry_id(12345)


def test_an_entry_from_the_api_may_carry_a_uuid() -> None:
    entry = parse_entry(
        {
            "id": UUID,
            "certificate": root_ca().pem,
            "expires_on": "2036-11-26T12:00:00Z",
            "issuer": "Example Origin",
            "signature": "SHA256WithRSA",
            "status": "active",
            "updated_at": "2026-11-29T12:00:00Z",
            "uploaded_on": "2026-11-29T12:00:00Z",
        }
    )
    assert entry.id == UUID


def test_an_entry_with_a_path_in_its_id_is_malformed() -> None:
    with pytest.raises(ValueError, match="an entry is malformed"):
        parse_entry({"id": UUID + "/x"})


# --- a server that speaks UUID ids ---------------------------------------------------------------


@pytest.fixture
def uuid_server(emulator_server: EmulatorServer) -> Iterator[tuple[str, UuidProxy]]:
    """``(base_url, proxy)``: the emulator behind a proxy that speaks UUID ids."""
    with uuid_proxy(emulator_server.root_url) as served:
        yield served


def test_uuid_ids_from_the_server_work_through_the_client_and_the_provider(
    uuid_server: tuple[str, UuidProxy], emulator_server: EmulatorServer
) -> None:
    base_url, proxy = uuid_server
    zone_safety.forget_claims()
    provider: CustomOriginTrustStoreProvider = configured(base_url)
    try:
        first = provider.create(checked(root_ca("UUID Root A").pem))
        second = provider.create(checked(root_ca("UUID Root B").pem))
        assert first.id is not None
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", first.id)
        hex_ids = {entry.id for entry in emulator_server.emulator.store.entries()}
        assert first.id.replace("-", "") in hex_ids

        read = provider.read(first.id, first.outs)
        assert read.id == first.id
        assert read.outs is not None
        assert read.outs["status"] == first.outs["status"]

        with TrustStoreClient(ApiToken(TOKEN), base_url=base_url) as client:
            assert client.get(ZONE_ID, first.id).id == first.id
            assert {entry.id for entry in client.list(ZONE_ID)} == {first.id, second.id}

        zone_safety.forget_claims()  # a later run: this one created (and claimed) both
        provider.delete(second.id, second.outs)
        gone = provider.read(second.id, second.outs)
        assert gone.outs is not None
        assert gone.outs.get("status", "gone") in {"pending_deletion", "deleted", "gone"}
        [deleted] = [r for r in emulator_server.emulator.requests() if r["method"] == "DELETE"]
        assert deleted["path"].endswith(second.id.replace("-", ""))
        assert f"/client/v4/zones/{ZONE_ID}/acm/custom_trust_store/{second.id}" in (
            proxy.paths_seen
        ), "the client asked in the server's (UUID) form"
    finally:
        provider.close()
        zone_safety.forget_claims()
