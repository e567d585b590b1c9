"""The client against the real emulator in-process: what each operation returns, and how
each failure Cloudflare can answer surfaces (type, HTTP status, Cloudflare code and message)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest

from emulator import Emulator, EmulatorConfig
from emulator.clock import FrozenClock
from emulator.transport import EmulatorTransport
from policies.trust_rules.resource_type import EntryStatus
from provider.client import MAX_PAGES, TrustStoreClient
from provider.credentials import ApiKey, ApiToken
from provider.entries import TrustStoreEntry
from provider.error_hints import CODE_HINTS
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    AuthenticationError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
)
from scripts.certs import NOW, intermediate_ca, leaf, root_ca
from tests.common import (
    API_KEY,
    EMAIL,
    FAST_RETRY,
    LOCAL_URL,
    MISSING_ID,
    OTHER_ZONE_ID,
    TOKEN,
    ZONE_ID,
)

ROOT_ONLY = "Only root CA certificate is allowed."


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TrustStoreClient]:
    with TrustStoreClient(
        ApiToken(TOKEN), base_url=LOCAL_URL, retry=FAST_RETRY, transport=EmulatorTransport(emulator)
    ) as made:
        yield made


def api_calls(emulator: Emulator) -> list[tuple[str, str, Any]]:
    """(method, path below the zone, status) for every API request the emulator saw."""
    calls = []
    for record in emulator.requests():
        tail = record["path"].split("/acm/custom_trust_store", 1)[-1] or "/"
        page = record["query"].get("page")
        calls.append((record["method"], tail + (f"?page={page}" if page else ""), record["status"]))
    return calls


class TestOperations:
    def test_upload_returns_the_stored_entry_typed(self, client: TrustStoreClient) -> None:
        ca = root_ca("Typed Root CA")
        entry = client.upload(ZONE_ID, ca.pem.strip())  # no trailing newline on purpose
        assert entry == TrustStoreEntry(
            id=entry.id,
            certificate=ca.pem,  # Cloudflare returns the PEM with one trailing newline
            expires_on=ca.cert.not_valid_after_utc,
            issuer="Example Origin",  # the emulator reports the issuer's organisation
            signature="SHA256WithRSA",
            status=EntryStatus.ACTIVE,
            updated_at=NOW,
            uploaded_on=NOW,
        )
        assert len(entry.id) == 32

    def test_get_list_and_delete_round_trip(
        self, client: TrustStoreClient, emulator: Emulator
    ) -> None:
        first = client.upload(ZONE_ID, root_ca("First Root").pem)
        second = client.upload(ZONE_ID, root_ca("Second Root").pem)
        client.upload(OTHER_ZONE_ID, root_ca("Other Zone Root").pem)

        assert client.get(ZONE_ID, second.id) == second
        assert client.get(ZONE_ID, second.id.upper()) == second
        assert client.list(ZONE_ID) == (first, second)

        assert client.delete(ZONE_ID, first.id) is None
        assert client.list(ZONE_ID) == (second,)
        with pytest.raises(NotFoundError):
            client.get(ZONE_ID, first.id)

    def test_find_matches_the_certificate_not_its_layout(self, client: TrustStoreClient) -> None:
        ca = root_ca("Findable Root")
        client.upload(ZONE_ID, root_ca("Neighbour Root").pem)
        entry = client.upload(ZONE_ID, ca.pem)
        assert client.find(ZONE_ID, "\n  " + ca.pem.replace("\n", "\r\n")) == entry
        assert client.find(ZONE_ID, root_ca("Absent Root").pem) is None
        assert client.find(OTHER_ZONE_ID, ca.pem) is None

    def test_find_skips_an_entry_being_deleted(self) -> None:
        emulator = Emulator(EmulatorConfig(token=TOKEN, deletion_delay=60), clock=FrozenClock(NOW))
        with TrustStoreClient(
            ApiToken(TOKEN), base_url=LOCAL_URL, transport=EmulatorTransport(emulator)
        ) as client:
            pem = root_ca().pem
            entry = client.upload(ZONE_ID, pem)
            assert client.find(ZONE_ID, pem) == entry
            client.delete(ZONE_ID, entry.id)
            assert client.get(ZONE_ID, entry.id).status is EntryStatus.PENDING_DELETION
            assert client.find(ZONE_ID, pem) is None
        emulator.close()

    def test_list_of_an_empty_zone_is_one_request(
        self, client: TrustStoreClient, emulator: Emulator
    ) -> None:
        assert client.list(ZONE_ID) == ()
        assert api_calls(emulator) == [("GET", "/?page=1", 200)]
        assert emulator.requests()[0]["query"] == {"page": "1", "per_page": "50"}

    @pytest.mark.parametrize(("count", "pages"), [(49, 1), (50, 1), (51, 2), (100, 2), (101, 3)])
    def test_list_follows_every_page_and_stops_at_the_end(
        self, client: TrustStoreClient, emulator: Emulator, count: int, pages: int
    ) -> None:
        uploaded = [client.upload(ZONE_ID, root_ca(f"Paged Root {n}").pem) for n in range(count)]
        emulator.clear_requests()

        assert client.list(ZONE_ID) == tuple(uploaded)
        # A full last page stops on total_count, without asking for an empty page.
        assert api_calls(emulator) == [("GET", f"/?page={n}", 200) for n in range(1, pages + 1)]

    def test_email_and_global_key_authenticate(self, emulator: Emulator) -> None:
        with TrustStoreClient(
            ApiKey(EMAIL, API_KEY), base_url=LOCAL_URL, transport=EmulatorTransport(emulator)
        ) as client:
            entry = client.upload(ZONE_ID, root_ca().pem)
            assert client.list(ZONE_ID) == (entry,)
        assert {record["auth"] for record in emulator.requests()} == {"key"}

    def test_deleting_with_pending_deletion_is_visible_through_get(self) -> None:
        clock = FrozenClock(NOW)
        emulator = Emulator(EmulatorConfig(token=TOKEN, deletion_delay=60), clock=clock)
        with TrustStoreClient(
            ApiToken(TOKEN), base_url=LOCAL_URL, transport=EmulatorTransport(emulator)
        ) as client:
            entry = client.upload(ZONE_ID, root_ca().pem)
            client.delete(ZONE_ID, entry.id)
            assert client.get(ZONE_ID, entry.id).status is EntryStatus.PENDING_DELETION
            clock.advance(45)
            assert client.get(ZONE_ID, entry.id).status is EntryStatus.DELETED
            clock.advance(30)
            with pytest.raises(NotFoundError):
                client.get(ZONE_ID, entry.id)
        emulator.close()


class TestCloudflareRefusals:
    def test_unknown_entry_is_not_found_without_retrying(
        self, client: TrustStoreClient, emulator: Emulator
    ) -> None:
        with pytest.raises(NotFoundError) as caught:
            client.get(ZONE_ID, MISSING_ID)
        error = caught.value
        assert (error.status_code, error.codes) == (404, (1419,))
        assert error.errors[0].message == (
            f"Custom origin trust store certificate {MISSING_ID} not found"
        )
        assert str(error) == (
            f"Cloudflare trust store get (zone {ZONE_ID}, entry {MISSING_ID}) failed with HTTP 404:"
            f" [1419] Custom origin trust store certificate {MISSING_ID} not found. The entry"
            " does not exist in this zone: it may have been deleted already, or the zone or"
            " entry id is wrong."
        )
        assert (error.operation, error.zone_id, error.entry_id) == ("get", ZONE_ID, MISSING_ID)
        assert len(emulator.requests()) == 1

    def test_deleting_an_unknown_entry_is_not_found(self, client: TrustStoreClient) -> None:
        with pytest.raises(NotFoundError) as caught:
            client.delete(ZONE_ID, MISSING_ID)
        assert caught.value.codes == (1419,)
        assert caught.value.operation == "delete"

    @pytest.mark.parametrize(
        ("credentials", "code", "message"),
        [
            (lambda: ApiToken("wrong-token"), 9109, "Invalid access token"),
            (lambda: ApiKey(EMAIL, "wrong-key"), 9103, "Unknown X-Auth-Key or X-Auth-Email"),
        ],
        ids=["token", "key"],
    )
    def test_bad_credentials_are_an_authentication_error(
        self,
        emulator: Emulator,
        credentials: Callable[[], ApiToken | ApiKey],
        code: int,
        message: str,
    ) -> None:
        with (
            TrustStoreClient(
                credentials(),
                base_url=LOCAL_URL,
                retry=FAST_RETRY,
                transport=EmulatorTransport(emulator),
            ) as client,
            pytest.raises(AuthenticationError) as caught,
        ):
            client.list(ZONE_ID)
        assert (caught.value.status_code, caught.value.codes) == (403, (code,))
        assert str(caught.value).startswith(
            f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 403:"
            f" [{code}] {message}."
            " Check the credentials: an API token needs 'SSL and Certificates'"
        )
        assert len(emulator.requests()) == 1

    @pytest.mark.parametrize("operation", ["list", "get", "upload", "delete"])
    def test_zone_without_acm_is_named_on_every_operation(
        self, client: TrustStoreClient, emulator: Emulator, operation: str
    ) -> None:
        emulator.set_acm_enabled(ZONE_ID, False)
        calls: dict[str, Callable[[], object]] = {
            "list": lambda: client.list(ZONE_ID),
            "get": lambda: client.get(ZONE_ID, MISSING_ID),
            "upload": lambda: client.upload(ZONE_ID, root_ca().pem),
            "delete": lambda: client.delete(ZONE_ID, MISSING_ID),
        }
        with pytest.raises(AcmNotEnabledError) as caught:
            calls[operation]()
        assert (caught.value.status_code, caught.value.codes) == (400, (1450,))
        assert caught.value.errors[0].message.startswith(
            "Advanced Certificate Manager is not enabled for this zone"
        )
        assert str(caught.value).endswith(
            "The Custom Origin Trust Store needs Advanced Certificate Manager: enable it for this"
            " zone in the Cloudflare dashboard (SSL/TLS > Edge Certificates), then retry."
        )
        assert len(emulator.requests()) == 1

    @pytest.mark.parametrize(
        ("make_pem", "code", "message", "hint"),
        [
            (lambda: leaf(root_ca()).pem, 1411, ROOT_ONLY, CODE_HINTS[1411]),
            (lambda: intermediate_ca(root_ca()).pem, 1411, ROOT_ONLY, CODE_HINTS[1411]),
            (
                lambda: (
                    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
                ),
                1002,
                "Invalid certificate.",
                CODE_HINTS[1002],
            ),
            (lambda: "hello", 1002, "Invalid certificate.", CODE_HINTS[1002]),
        ],
        ids=["leaf", "intermediate", "garbage-pem", "not-pem"],
    )
    def test_certificates_cloudflare_refuses(
        self,
        client: TrustStoreClient,
        emulator: Emulator,
        make_pem: Callable[[], str],
        code: int,
        message: str,
        hint: str,
    ) -> None:
        with pytest.raises(ApiError) as caught:
            client.upload(ZONE_ID, make_pem())
        error = caught.value
        assert type(error) is ApiError
        assert (error.status_code, error.codes) == (400, (code,))
        assert error.errors[0].message == message
        assert str(error) == (
            f"Cloudflare trust store upload (zone {ZONE_ID}) failed with HTTP 400:"
            f" [{code}] {message.rstrip('.')}. {hint}"
        )
        assert [r["method"] for r in emulator.requests()] == ["POST"]

    def test_other_refusals_keep_the_generic_upload_hint(
        self, client: TrustStoreClient, emulator: Emulator
    ) -> None:
        ca = root_ca()
        with pytest.raises(ApiError) as caught:
            client.upload(ZONE_ID, ca.pem + root_ca("Second").pem)
        assert caught.value.codes == (1414,)
        assert str(caught.value).endswith(
            "Cloudflare accepts only self-signed root CA certificates (basicConstraints CA:TRUE)"
            " in PEM form: check the certificate, or upload its root instead of an intermediate"
            " or leaf."
        )

    def test_duplicate_upload_is_refused_once(
        self, client: TrustStoreClient, emulator: Emulator
    ) -> None:
        pem = root_ca("Duplicated Root").pem
        first = client.upload(ZONE_ID, pem)
        with pytest.raises(ApiError) as caught:
            client.upload(ZONE_ID, pem)
        assert caught.value.codes == (1220,)
        assert caught.value.errors[0].message == "This certificate has already been submitted."
        assert str(caught.value).endswith(CODE_HINTS[1220])
        assert first.id
        assert [r["method"] for r in emulator.requests()] == ["POST", "POST"]

    @pytest.mark.parametrize(
        ("call", "parameter"),
        [
            (lambda c: c.list("../zones"), "zone_id"),
            (lambda c: c.list(""), "zone_id"),
            (lambda c: c.get(ZONE_ID, f"{MISSING_ID}/../x"), "entry_id"),
            (lambda c: c.get("a" * 33, MISSING_ID), "zone_id"),
            (lambda c: c.upload("zone?x=1", "pem"), "zone_id"),
            (lambda c: c.upload(ZONE_ID, ""), "certificate"),
            (lambda c: c.upload(ZONE_ID, b"bytes"), "certificate"),
            (lambda c: c.upload(ZONE_ID, "x" * 70_000), "certificate"),
            (lambda c: c.delete(ZONE_ID, "%2e%2e"), "entry_id"),
            (lambda c: c.delete(None, MISSING_ID), "zone_id"),
        ],
    )
    def test_invalid_input_is_refused_before_any_request(
        self,
        client: TrustStoreClient,
        emulator: Emulator,
        call: Callable[[TrustStoreClient], object],
        parameter: str,
    ) -> None:
        with pytest.raises(InvalidInputError) as caught:
            call(client)
        assert caught.value.parameter == parameter
        assert str(caught.value).startswith(parameter)
        assert emulator.requests() == []


Transform = Callable[[int, dict[str, Any]], tuple[int, bytes, str]]


def corrupted(app: Any, transform: Transform) -> Any:
    """The emulator behind a broken proxy: ``transform`` rewrites each real JSON answer."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split()[0])
            return lambda data: None

        body = json.loads(b"".join(app(environ, capture)))
        status, data, content_type = transform(captured["status"], body)
        start_response(
            f"{status} X", [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        )
        return [data]

    return wrapped


def broken_client(emulator: Emulator, transform: Transform) -> TrustStoreClient:
    return TrustStoreClient(
        ApiToken(TOKEN),
        base_url=LOCAL_URL,
        retry=FAST_RETRY,
        transport=httpx.WSGITransport(app=corrupted(emulator.wsgi_app, transform)),
    )


def edit_entry(field: str, value: object) -> Transform:
    def transform(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
        result = body.get("result")
        for entry in result if isinstance(result, list) else [result]:
            if isinstance(entry, dict):
                entry[field] = value
        return status, json.dumps(body).encode(), "application/json"

    return transform


class TestMalformedAnswers:
    @pytest.mark.parametrize(
        ("field", "value", "detail"),
        [
            ("expires_on", "2036-11-29T12:00:00", "is not an RFC 3339 timestamp"),
            ("uploaded_on", "yesterday", "is not an RFC 3339 timestamp"),
            ("status", 3, "field 'status' is missing or not a string"),
            ("issuer", None, "field 'issuer' is missing or not a string"),
            ("id", "../../x", "is not a Cloudflare id"),
        ],
    )
    def test_entries_breaking_the_contract_are_refused(
        self, emulator: Emulator, field: str, value: object, detail: str
    ) -> None:
        entry = emulator.store.upload(ZONE_ID, root_ca().pem)
        with broken_client(emulator, edit_entry(field, value)) as client:
            for call in (lambda: client.list(ZONE_ID), lambda: client.get(ZONE_ID, entry["id"])):
                with pytest.raises(MalformedResponseError) as caught:
                    call()
                assert caught.value.status_code == 200
                assert "failed with HTTP 200: no error details; an entry is malformed:" in str(
                    caught.value
                )
                assert detail in str(caught.value)
                assert str(caught.value).endswith(
                    "check that the base URL (CLOUDFLARE_BASE_URL) points at the Cloudflare API,"
                    " not at a proxy or web page."
                )

    def test_an_unknown_status_is_carried_through_as_its_string(
        self, emulator: Emulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A status Cloudflare adds later must not break every call; it is warned about once."""
        entry = emulator.store.upload(ZONE_ID, root_ca().pem)
        caplog.set_level(logging.DEBUG, logger="provider.client")
        with broken_client(emulator, edit_entry("status", "quarantined")) as client:
            (listed,) = client.list(ZONE_ID)
            got = client.get(ZONE_ID, entry["id"])
        assert listed == got
        assert got.status == "quarantined"
        assert not isinstance(got.status, EntryStatus)
        assert got.status != EntryStatus.ACTIVE
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [r.getMessage() for r in warnings] == [
            f"list in zone {ZONE_ID}: Cloudflare reported entry status 'quarantined', which this"
            " client does not know; passing it through as a string. Upgrade the provider if it"
            " persists."
        ]
        assert TOKEN not in caplog.text

    def test_known_statuses_stay_enum_members(self, emulator: Emulator) -> None:
        entry = emulator.store.upload(ZONE_ID, root_ca().pem)
        with broken_client(emulator, edit_entry("status", "pending_deployment")) as client:
            assert client.get(ZONE_ID, entry["id"]).status is EntryStatus.PENDING_DEPLOYMENT

    def test_get_answering_another_entry_is_refused(self, emulator: Emulator) -> None:
        entry = emulator.store.upload(ZONE_ID, root_ca().pem)
        with (
            broken_client(emulator, edit_entry("id", MISSING_ID)) as client,
            pytest.raises(MalformedResponseError, match=f"asked for entry {entry['id']}, got"),
        ):
            client.get(ZONE_ID, entry["id"])

    def test_html_success_page_is_malformed(self, emulator: Emulator) -> None:
        def html(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
            return 200, b"<html>Sign in to the proxy</html>", "text/html"

        with (
            broken_client(emulator, html) as client,
            pytest.raises(MalformedResponseError) as caught,
        ):
            client.list(ZONE_ID)
        assert str(caught.value).startswith(
            f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 200: no error details;"
            " the body is not a Cloudflare JSON envelope (text/html)."
        )

    def test_html_bad_gateway_is_a_server_error_after_retries(self, emulator: Emulator) -> None:
        def bad_gateway(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
            return 502, b"<html>502 Bad Gateway</html>", "text/html; charset=utf-8"

        with broken_client(emulator, bad_gateway) as client, pytest.raises(ServerError) as caught:
            client.get(ZONE_ID, MISSING_ID)
        assert (caught.value.status_code, caught.value.attempts) == (502, 4)
        assert "failed with HTTP 502 after 4 attempts: no error details; the body is not" in str(
            caught.value
        )
        assert len(emulator.requests()) == 4

    def test_a_redirect_is_not_followed_and_points_at_the_base_url(
        self, emulator: Emulator
    ) -> None:
        def moved(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
            return 301, b"<html>Moved</html>", "text/html"

        with broken_client(emulator, moved) as client, pytest.raises(ApiError) as caught:
            client.list(ZONE_ID)
        assert type(caught.value) is ApiError
        assert str(caught.value) == (
            f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 301: no error details;"
            " the body is not a Cloudflare JSON envelope (text/html). The answer carries no"
            " Cloudflare error, so it may not come from the Cloudflare API: check the base URL"
            " (CLOUDFLARE_BASE_URL) and any proxy on the way."
        )
        assert len(emulator.requests()) == 1

    def test_a_listing_that_never_ends_is_cut_off(self, emulator: Emulator) -> None:
        for n in range(50):
            emulator.store.upload(ZONE_ID, root_ca(f"Endless {n}").pem)

        def endless(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
            body["result_info"].pop("total_count")  # and every page is full
            return status, json.dumps(body).encode(), "application/json"

        def first_page_forever(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            environ["QUERY_STRING"] = "page=1&per_page=50"
            return corrupted(emulator.wsgi_app, endless)(environ, start_response)

        with (
            TrustStoreClient(
                ApiToken(TOKEN),
                base_url=LOCAL_URL,
                transport=httpx.WSGITransport(app=first_page_forever),
            ) as client,
            pytest.raises(MalformedResponseError) as caught,
        ):
            client.list(ZONE_ID)
        assert f"the listing did not end after {MAX_PAGES} pages of 50 entries" in str(caught.value)
        assert len(emulator.requests()) == MAX_PAGES


def test_timestamps_are_utc_aware(client: TrustStoreClient) -> None:
    entry = client.upload(ZONE_ID, root_ca().pem)
    for stamp in (entry.expires_on, entry.updated_at, entry.uploaded_on):
        assert stamp.utcoffset() == dt.timedelta(0)
