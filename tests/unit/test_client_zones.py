"""``TrustStoreClient.list_zones``: every zone the credentials see, through ``GET /zones``'s
pages, retried, paced and with errors that say what to do, against the in-process emulator."""

from __future__ import annotations

import pytest

from emulator import Emulator, EmulatorConfig
from emulator.transport import EmulatorTransport
from provider.client import MAX_ZONE_PAGES, ZONE_PAGE_SIZE, TrustStoreClient
from provider.credentials import ApiToken
from provider.errors import AuthenticationError, MalformedResponseError, ServerError
from provider.pacing import Pacer, RateLimit
from scripts.certs import root_ca
from tests.common import FAST_RETRY_3, LOCAL_URL

TOKEN = "zones-token-0123456789abcdef0123456789"


def zone_id(number: int) -> str:
    return f"{number:032x}"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(token=TOKEN)


@pytest.fixture
def client(emulator_client: TrustStoreClient) -> TrustStoreClient:
    return emulator_client


def zone_pages(emu: Emulator) -> list[tuple[str, str, str | None, int | None]]:
    return [
        (r["method"], r["path"].removeprefix("/client/v4"), r["query"].get("page"), r["status"])
        for r in emu.requests()
    ]


def test_no_zones_is_one_request(client: TrustStoreClient, emulator: Emulator) -> None:
    assert client.list_zones() == ()
    assert zone_pages(emulator) == [("GET", "/zones", "1", 200)]
    assert emulator.requests()[0]["query"]["per_page"] == str(ZONE_PAGE_SIZE)


def test_zones_with_entries_and_declared_zones_are_listed(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    emulator.declare_zone(zone_id(1), "shop.example.com")
    client.upload(zone_id(2), root_ca("Zone Two Root").pem)
    zones = {zone.id: zone for zone in client.list_zones()}
    assert set(zones) == {zone_id(1), zone_id(2)}
    assert zones[zone_id(1)].name == "shop.example.com"
    assert zones[zone_id(2)].status == "active"


@pytest.mark.parametrize(("count", "pages"), [(49, 1), (50, 1), (51, 2), (120, 3)])
def test_every_page_is_followed_once(
    client: TrustStoreClient, emulator: Emulator, count: int, pages: int
) -> None:
    for number in range(count):
        emulator.declare_zone(zone_id(number + 1))
    zones = client.list_zones()
    assert sorted(zone.id for zone in zones) == [zone_id(n + 1) for n in range(count)]
    assert zone_pages(emulator) == [("GET", "/zones", str(n), 200) for n in range(1, pages + 1)]


def test_a_failing_page_is_retried(client: TrustStoreClient, emulator: Emulator) -> None:
    emulator.declare_zone(zone_id(1))
    emulator.add_fault("error", status=503, count=1, path_contains="/zones")
    assert [zone.id for zone in client.list_zones()] == [zone_id(1)]
    assert [status for *_, status in zone_pages(emulator)] == [503, 200]


def test_persistent_server_errors_name_the_listing(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    emulator.add_fault("error", status=503, count=10, path_contains="/zones")
    with pytest.raises(ServerError) as caught:
        client.list_zones()
    message = str(caught.value)
    assert message.startswith("Cloudflare zone listing (GET /zones) failed with HTTP 503")
    assert "after 3 attempts" in message


def test_a_token_without_zone_read_is_told_what_to_do(emulator: Emulator) -> None:
    with (
        TrustStoreClient(
            ApiToken("wrong-token-0123456789abcdef"),
            base_url=LOCAL_URL,
            retry=FAST_RETRY_3,
            transport=EmulatorTransport(emulator),
            pacer=None,
        ) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.list_zones()
    assert "Zone Read" in str(caught.value)
    assert "--zone" in str(caught.value)
    assert "wrong-token" not in str(caught.value)


def test_a_listing_that_never_ends_is_refused(emulator: Emulator) -> None:
    """A server that always answers a full page and no totals cannot keep the client forever."""
    import httpx

    served = 0

    def endless(request: httpx.Request) -> httpx.Response:
        nonlocal served
        served += 1
        page = int(request.url.params["page"])
        zones = [{"id": f"{page:016x}{n:016x}", "name": "x.example.com"} for n in range(50)]
        return httpx.Response(200, json={"success": True, "errors": [], "result": zones})

    with (
        TrustStoreClient(
            ApiToken(TOKEN),
            base_url=LOCAL_URL,
            retry=FAST_RETRY_3,
            transport=httpx.MockTransport(endless),
            pacer=None,
        ) as client,
        pytest.raises(MalformedResponseError) as caught,
    ):
        client.list_zones()
    assert served == MAX_ZONE_PAGES
    assert "did not end" in str(caught.value)


def test_a_zone_without_an_id_is_a_malformed_answer() -> None:
    import httpx

    def broken(request: httpx.Request) -> httpx.Response:
        body = {"success": True, "errors": [], "result": [{"name": "x.example.com"}]}
        return httpx.Response(200, json=body)

    with (
        TrustStoreClient(
            ApiToken(TOKEN), base_url=LOCAL_URL, transport=httpx.MockTransport(broken), pacer=None
        ) as client,
        pytest.raises(MalformedResponseError, match="no valid 'id'"),
    ):
        client.list_zones()


def test_each_page_takes_a_token_from_the_pacer(emulator: Emulator) -> None:
    for number in range(120):
        emulator.declare_zone(zone_id(number + 1))
    pacer = Pacer(RateLimit(1000, 1.0))
    taken = 0
    original = pacer.acquire

    def counting(on_wait: object = None) -> float:
        nonlocal taken
        taken += 1
        return original(None)

    pacer.acquire = counting  # type: ignore[method-assign]
    with TrustStoreClient(
        ApiToken(TOKEN), base_url=LOCAL_URL, transport=EmulatorTransport(emulator), pacer=pacer
    ) as client:
        assert len(client.list_zones()) == 120
    assert taken == 3
