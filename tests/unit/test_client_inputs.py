"""What the client refuses or accepts before it talks to Cloudflare: ids, timestamps,
base URLs, TLS settings, credentials and retry settings."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import ssl

import pytest

from provider.client import DEFAULT_BASE_URL, TrustStoreClient
from provider.credentials import ApiKey, ApiToken, credentials_from_env
from provider.entries import parse_rfc3339, validate_id
from provider.errors import ConfigurationError, InvalidInputError, TransportError
from provider.retry import RetryableFailure, RetryPolicy, parse_retry_after
from tests.common import API_KEY, TOKEN


class TestIds:
    @pytest.mark.parametrize("value", ["0", "a" * 32, "023E105F4ECEF8AD9CA31A8372D0C353"])
    def test_hex_up_to_32_characters_is_accepted(self, value: str) -> None:
        assert validate_id(value, "zone_id") == value.lower()

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "a" * 33,
            "../../user/tokens",
            "023e105f4ecef8ad9ca31a8372d0c35/",
            "abc?page=2",
            "abc#x",
            "abc%2F",
            "abc\n",
            " abc",
            "g00d",
            "\uff10\uff11",  # full-width digits: not ASCII hex
        ],
    )
    def test_anything_else_is_refused_naming_the_parameter(self, value: str) -> None:
        with pytest.raises(InvalidInputError) as caught:
            validate_id(value, "entry_id")
        assert caught.value.parameter == "entry_id"
        assert str(caught.value).startswith("entry_id ")
        assert "is not a Cloudflare id: expected 1 to 32 hex digits" in str(caught.value)

    def test_a_long_value_is_echoed_only_by_its_start(self) -> None:
        token_like = "Zx9" + "k" * 37  # 40 characters, the shape of an API token
        with pytest.raises(InvalidInputError) as caught:
            validate_id(token_like, "zone_id")
        assert token_like not in str(caught.value)
        assert "k" * 4 not in str(caught.value)
        assert "'Zx9kkk'… (40 characters)" in str(caught.value)

    def test_non_strings_are_refused(self) -> None:
        with pytest.raises(
            InvalidInputError, match="zone_id must be a string of hex digits, not int"
        ):
            validate_id(123, "zone_id")

    def test_long_values_are_cut_in_the_message(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            validate_id("x" * 10_000, "zone_id")
        assert len(str(caught.value)) < 300


class TestRfc3339:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-11-29T12:00:00Z", dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)),
            ("2026-11-29t12:00:00z", dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)),
            ("2026-11-29T13:30:00+01:30", dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)),
            (
                "2026-11-29T12:00:00.123456789Z",
                dt.datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=dt.UTC),
            ),
            (
                "2026-11-29T12:00:00.5-00:00",
                dt.datetime(2026, 11, 29, 12, 0, 0, 500000, tzinfo=dt.UTC),
            ),
        ],
    )
    def test_valid_timestamps_become_aware_utc(self, text: str, expected: dt.datetime) -> None:
        parsed = parse_rfc3339(text)
        assert parsed == expected
        assert parsed.tzinfo is dt.UTC

    @pytest.mark.parametrize(
        "text",
        [
            "2026-11-29T12:00:00",  # no offset
            "2026-11-29 12:00:00Z",  # space instead of T
            "2026-11-29",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T12:00:00+24:00",
            "2026-11-29T12:00:00.Z",
            "20261129T120000Z",
            "2026-11-29T12:00:00Z ",
            "",
        ],
    )
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"RFC 3339|offset|out of range|must be in"):
            parse_rfc3339(text)


def unverified_context(*, only_host_name: bool = False) -> ssl.SSLContext:
    """A context that skips TLS checks: certificate and host name, or only the host name."""
    context = ssl.create_default_context()
    context.check_hostname = False
    if not only_host_name:
        context.verify_mode = ssl.CERT_NONE
    return context


class TestBaseUrl:
    def test_default_is_cloudflare(self) -> None:
        with TrustStoreClient(ApiToken(TOKEN)) as client:
            assert repr(client) == (
                f"TrustStoreClient(base_url='{DEFAULT_BASE_URL}/',"
                " credentials=ApiToken(token=<redacted>))"
            )

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:8080/client/v4", "http://localhost/client/v4", "http://[::1]:1/x"]
    )
    def test_plain_http_and_no_verification_are_allowed_on_loopback(self, url: str) -> None:
        TrustStoreClient(ApiToken(TOKEN), base_url=url, verify=False).close()

    def test_plain_http_is_refused_elsewhere(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            TrustStoreClient(ApiToken(TOKEN), base_url="http://api.example.com/client/v4")
        assert str(caught.value).startswith(
            "Refusing plain http:// for api.example.com: credentials would travel unencrypted."
        )

    @pytest.mark.parametrize(
        "verify",
        [False, unverified_context(), unverified_context(only_host_name=True)],
        ids=["False", "CERT_NONE", "no-hostname-check"],
    )
    def test_turning_off_verification_is_refused_elsewhere(
        self, verify: bool | ssl.SSLContext
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            TrustStoreClient(ApiToken(TOKEN), base_url="https://api.example.com", verify=verify)
        assert str(caught.value).startswith(
            "Refusing to turn off TLS certificate verification for api.example.com."
        )

    def test_a_verifying_context_is_accepted(self) -> None:
        context = ssl.create_default_context()
        TrustStoreClient(
            ApiToken(TOKEN), base_url="https://api.example.com", verify=context
        ).close()

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            (
                "ftp://api.example.com",
                "The base URL must be an absolute https:// URL (got scheme 'ftp')",
            ),
            ("/client/v4", "The base URL must be an absolute https:// URL (got scheme '')"),
            (
                "https://user:pw@api.example.com",
                "must not carry a user, password, query or fragment",
            ),
            ("https://api.example.com/?x=1", "must not carry a user, password, query or fragment"),
        ],
    )
    def test_malformed_urls_are_refused(self, url: str, message: str) -> None:
        with pytest.raises(
            ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")
        ):
            TrustStoreClient(ApiToken(TOKEN), base_url=url)

    def test_userinfo_is_not_echoed(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            TrustStoreClient(ApiToken(TOKEN), base_url=f"https://me:{TOKEN}@api.example.com")
        assert TOKEN not in str(caught.value)
        assert TOKEN not in repr(caught.value)


class TestFromEnv:
    def test_token_and_base_url_are_read_like_the_official_sdk(self) -> None:
        env = {"CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_BASE_URL": "http://127.0.0.1:9/client/v4"}
        with TrustStoreClient.from_env(env) as client:
            assert repr(client) == (
                "TrustStoreClient(base_url='http://127.0.0.1:9/client/v4/',"
                " credentials=ApiToken(token=<redacted>))"
            )

    def test_email_and_key_are_the_fallback(self) -> None:
        credentials = credentials_from_env(
            {"CLOUDFLARE_EMAIL": "ops@example.com", "CLOUDFLARE_API_KEY": API_KEY}
        )
        assert isinstance(credentials, ApiKey)
        assert credentials.auth_headers() == {
            "X-Auth-Email": "ops@example.com",
            "X-Auth-Key": API_KEY,
        }

    def test_token_wins_over_key(self) -> None:
        env = {
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_EMAIL": "a@b.c",
            "CLOUDFLARE_API_KEY": API_KEY,
        }
        assert isinstance(credentials_from_env(env), ApiToken)

    def test_nothing_set_says_what_to_set(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            credentials_from_env({})
        assert str(caught.value) == (
            "No Cloudflare credentials: set CLOUDFLARE_API_TOKEN (preferred), or CLOUDFLARE_EMAIL"
            " and CLOUDFLARE_API_KEY."
        )

    def test_half_a_key_pair_names_the_missing_half(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            credentials_from_env({"CLOUDFLARE_API_KEY": API_KEY})
        assert str(caught.value).startswith(
            "CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY go together, but CLOUDFLARE_EMAIL is not set"
        )
        assert API_KEY not in str(caught.value)


class TestCredentials:
    def test_token_is_sent_as_bearer(self) -> None:
        assert ApiToken(TOKEN).auth_headers() == {"Authorization": f"Bearer {TOKEN}"}

    @pytest.mark.parametrize(
        "credentials",
        [lambda: ApiToken(TOKEN), lambda: ApiKey("ops@example.com", TOKEN)],
        ids=["token", "key"],
    )
    def test_secret_never_shows_and_never_pickles(self, credentials: object) -> None:
        made = credentials()  # type: ignore[operator]
        assert TOKEN not in repr(made)
        assert TOKEN not in str(made)
        assert TOKEN not in f"{made!r} {made!s} {made}"
        with pytest.raises(TypeError, match="holds a secret and cannot be pickled or copied"):
            pickle.dumps(made)
        with pytest.raises(TypeError, match="holds a secret"):
            copy.deepcopy(made)
        with pytest.raises(AttributeError, match="is immutable"):
            made.email = "x"

    def test_client_does_not_pickle_either(self) -> None:
        with (
            TrustStoreClient(ApiToken(TOKEN)) as client,
            pytest.raises(TypeError, match="TrustStoreClient holds credentials"),
        ):
            pickle.dumps(client)

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "The API token is empty; set it to a Cloudflare credential."),
            ("   ", "The API token is empty; set it to a Cloudflare credential."),
            (f"{TOKEN}\n", "The API token contains whitespace or control characters"),
            (f"Bearer {TOKEN}", "The API token contains whitespace or control characters"),
            (f"{TOKEN}é", "The API token contains non-ASCII characters; copy it again."),
        ],
    )
    def test_broken_tokens_are_refused_without_quoting_them(self, value: str, message: str) -> None:
        with pytest.raises(ConfigurationError) as caught:
            ApiToken(value)
        assert str(caught.value).startswith(message)
        assert TOKEN not in str(caught.value)

    def test_email_must_look_like_one(self) -> None:
        with pytest.raises(ConfigurationError, match="The account email 'ops' is not an email"):
            ApiKey("ops", API_KEY)


class TestRetryPolicy:
    def test_backoff_grows_exponentially_with_jitter_and_is_capped(self) -> None:
        policy = RetryPolicy(initial_backoff=1.0, max_backoff=4.0, jitter=0.5)
        for number, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 4.0), (10, 4.0)]:
            delays = [policy.delay_before(number, None) for _ in range(50)]
            assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert RetryPolicy(initial_backoff=1.0, jitter=0).delay_before(2, None) == 2.0

    def test_retry_after_is_honoured_up_to_the_cap(self) -> None:
        policy = RetryPolicy(max_retry_after=60)
        assert policy.delay_before(1, 7.0) == 7.0
        assert policy.delay_before(1, 3600.0) == 60.0

    @pytest.mark.parametrize(
        ("retry_after", "attempts", "sleeps"),
        [
            (None, 3, [1.0, 2.0]),  # the attempt count ends it: backoff 1, 2 (no jitter)
            (4.0, 3, [4.0, 4.0]),  # waits Retry-After; 8 s in all fits the 10 s budget
            (10.0, 1, []),  # waiting 10 s would reach the 10 s budget: no retry at all
        ],
    )
    def test_stops_on_attempts_or_time(
        self, retry_after: float | None, attempts: int, sleeps: list[float]
    ) -> None:
        policy = RetryPolicy(max_attempts=3, max_elapsed=10, initial_backoff=1.0, jitter=0)
        slept: list[float] = []
        retrying = policy.retrying(lambda state: None).copy(sleep=slept.append)
        error = TransportError(operation="list", zone_id="ab", host="h", reason="r")
        made = 0

        def fail() -> None:
            nonlocal made
            made += 1
            raise RetryableFailure(error, retry_after=retry_after, maybe_applied=False)

        with pytest.raises(RetryableFailure):
            retrying(fail)
        assert (made, slept) == (attempts, sleeps)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"max_attempts": 0}, "RetryPolicy.max_attempts must be at least 1."),
            ({"initial_backoff": -1}, "RetryPolicy.initial_backoff must be a finite number >= 0."),
            (
                {"max_elapsed": float("inf")},
                "RetryPolicy.max_elapsed must be a finite number >= 0.",
            ),
            ({"jitter": 2}, "RetryPolicy.jitter must be between 0 and 1."),
        ],
    )
    def test_nonsense_is_refused(self, fields: dict[str, float], message: str) -> None:
        with pytest.raises(ConfigurationError) as caught:
            RetryPolicy(**fields)  # type: ignore[arg-type]
        assert str(caught.value) == message

    @pytest.mark.parametrize(
        ("header", "seconds"),
        [
            ("3", 3.0),
            ("0.5", 0.5),
            ("-4", 0.0),
            ("Sun, 29 Nov 2026 12:00:30 GMT", 30.0),
            ("soon", None),
            ("nan", None),
            (None, None),
        ],
    )
    def test_retry_after_header_forms(self, header: str | None, seconds: float | None) -> None:
        now = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.UTC)
        assert parse_retry_after(header, now=now) == seconds
