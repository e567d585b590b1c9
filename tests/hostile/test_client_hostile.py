"""The client against a hostile server (a real socket): every answer becomes one of our
documented errors, in bounded time and memory, and no credential comes out anywhere.

Each case names what the server does and the exact error class and message it must give.
"""

from __future__ import annotations

import json
import logging
import pickle
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from provider.client import TrustStoreClient
from provider.credentials import ApiKey, ApiToken
from provider.errors import (
    ApiError,
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    TrustStoreError,
)
from provider.retry import RetryPolicy
from scripts.certs import root_ca
from tests.common import ZONE_ID
from tests.hostile.conftest import (
    API_KEY,
    ENTRY_ID,
    GIB,
    TIME_BOUND,
    TOKEN,
    HostileServer,
    Script,
    assert_no_secret,
    bomb,
    drip,
    endless_chunked,
    head,
    run_limited,
    send,
    send_json,
    send_raw,
)

ONE_ATTEMPT = RetryPolicy(max_attempts=1)
TWO_FAST = RetryPolicy(
    max_attempts=2, initial_backoff=0.001, max_backoff=0.002, max_retry_after=0.01
)
DEADLINE = 0.8
ROOT_PEM = root_ca("Hostile Test Root").pem
PRIVATE_KEY = root_ca("Leaked Key Root").key_pem
KEY_LINE = PRIVATE_KEY.splitlines()[1]


def entry(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": ENTRY_ID,
        "certificate": ROOT_PEM,
        "expires_on": "2036-01-01T00:00:00Z",
        "issuer": "CN=Hostile Test Root",
        "signature": "SHA256WithRSA",
        "status": "active",
        "updated_at": "2026-01-01T00:00:00Z",
        "uploaded_on": "2026-01-01T00:00:00Z",
    }
    fields.update(overrides)
    return fields


def failure(status: int, message: object, code: object = 1000, **extra: object) -> Script:
    document = {
        "success": False,
        "errors": [{"code": code, "message": message, **extra}],
        "messages": [],
        "result": None,
    }
    return send_json(status, document)


def success(result: object, result_info: object = None) -> Script:
    document: dict[str, object] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        document["result_info"] = result_info
    return send_json(200, document)


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.DEBUG):
        yield
    for record in caplog.get_records("call"):
        assert_no_secret(record.getMessage())
        assert_no_secret(repr(record.args))


def client_for(
    server: HostileServer,
    *,
    credentials: ApiToken | ApiKey | None = None,
    retry: RetryPolicy = ONE_ATTEMPT,
    deadline: float = DEADLINE,
) -> TrustStoreClient:
    return TrustStoreClient(
        credentials or ApiToken(TOKEN),
        base_url=server.url,
        retry=retry,
        timeout=httpx.Timeout(5.0),
        deadline=deadline,
    )


def assert_clean_error(error: BaseException) -> None:
    """No secret in any view of the error, its chain, its traceback or its pickle."""
    for view in (
        str(error),
        repr(error),
        repr(error.args),
        "".join(traceback.format_exception(error)),
    ):
        assert_no_secret(view)
    assert_no_secret(pickle.dumps(error).decode("latin-1"))


def call(
    server: HostileServer,
    operation: str = "list",
    **options: object,
) -> tuple[TrustStoreError, float]:
    """Run one client call that must fail; the error and the seconds it took."""
    operations: dict[str, Callable[[TrustStoreClient], object]] = {
        "list": lambda client: client.list(ZONE_ID),
        "get": lambda client: client.get(ZONE_ID, ENTRY_ID),
        "upload": lambda client: client.upload(ZONE_ID, ROOT_PEM),
        "delete": lambda client: client.delete(ZONE_ID, ENTRY_ID),
    }
    run = operations[operation]
    started = time.monotonic()
    with (
        client_for(server, **options) as client,  # type: ignore[arg-type]
        pytest.raises(TrustStoreError) as caught,
    ):
        run(client)
    elapsed = time.monotonic() - started
    assert elapsed < TIME_BOUND
    assert_clean_error(caught.value)
    return caught.value, elapsed


# -- secrets the server echoes back ----------------------------------------------------------

PLANTED_MESSAGES = {
    "whole token": f"invalid token {TOKEN}",
    "token at the 300-character cut": "x" * 290 + TOKEN,
    "token straddling the cut after spaces": " " * 500 + "y" * 280 + TOKEN,
    "token prefix only": f"token was {TOKEN[:26]}",
    "token suffix only": f"token ended {TOKEN[-20:]}",
    "token split by a line break": f"{TOKEN[:20]}\n{TOKEN[20:]}",
    "token ten times": " ".join([TOKEN] * 10),
    "token in a 1 MB message": "z" * 1_000_000 + TOKEN,
    "token after an escape sequence": f"\x1b[31m{TOKEN}\x1b[0m",
    "private key block": f"your key: {PRIVATE_KEY}",
    "cut-off private key block": f"key: {PRIVATE_KEY[:200]}",
}


@pytest.mark.parametrize("message", PLANTED_MESSAGES.values(), ids=PLANTED_MESSAGES.keys())
def test_a_secret_echoed_in_an_error_message_is_redacted(
    hostile_server: HostileServer, message: str
) -> None:
    hostile_server.answer(failure(400, message))
    error, _ = call(hostile_server)
    assert type(error) is ApiError
    assert str(error).startswith(
        f"Cloudflare trust store list (zone {ZONE_ID}) failed with HTTP 400"
    )
    assert KEY_LINE not in str(error)
    assert len(error.errors[0].message) <= 300


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ApiError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (200, MalformedResponseError),
    ],
)
def test_a_secret_in_the_content_type_of_a_non_json_answer_is_redacted(
    hostile_server: HostileServer, status: int, expected: type[ApiError]
) -> None:
    hostile_server.answer(
        send(status, b"<html>no</html>", {"Content-Type": f"text/html; t={TOKEN}"})
    )
    error, _ = call(hostile_server)
    assert type(error) is expected
    assert "the body is not a Cloudflare JSON envelope (text/html; t=<redacted>)" in str(error)


def test_the_global_api_key_is_redacted_like_a_token(hostile_server: HostileServer) -> None:
    hostile_server.answer(failure(403, f"key {API_KEY} lacks permission"))
    error, _ = call(hostile_server, credentials=ApiKey("ops@example.com", API_KEY))
    assert type(error) is AuthenticationError
    assert "[1000] key <redacted> lacks permission" in str(error)


@pytest.mark.parametrize(
    "planted",
    [
        {"message": {"nested": TOKEN}},
        {"message": [TOKEN, TOKEN]},
        {"code": TOKEN, "message": "bad"},
        {"message": "bad", "documentation_url": TOKEN},
        {"message": "bad", "source": {"pointer": TOKEN}},
    ],
    ids=["message-object", "message-list", "code", "documentation-url", "source"],
)
def test_a_secret_in_any_field_of_an_error_is_not_quoted(
    hostile_server: HostileServer, planted: dict[str, object]
) -> None:
    document = {"success": False, "errors": [planted], "messages": [], "result": None}
    hostile_server.answer(send_json(400, document))
    error, _ = call(hostile_server)
    assert type(error) is ApiError
    assert error.status_code == 400


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("issuer", "<redacted>"),
        ("signature", "<redacted>"),
        ("status", "<redacted>"),
        ("certificate", "<redacted>"),
    ],
)
def test_a_secret_in_an_entry_field_never_reaches_the_entry(
    hostile_server: HostileServer, field: str, expected: str
) -> None:
    hostile_server.answer(success(entry(**{field: f"{TOKEN}"})))
    with client_for(hostile_server) as client:
        got = client.get(ZONE_ID, ENTRY_ID)
    assert getattr(got, field) == expected
    assert_no_secret(repr(got))


@pytest.mark.parametrize("field", ["issuer", "signature", "status"])
def test_terminal_escapes_in_an_entry_field_are_escaped(
    hostile_server: HostileServer, field: str
) -> None:
    hostile_server.answer(success(entry(**{field: "\x1b]0;pwned\x07\u202eX"})))
    with client_for(hostile_server) as client:
        got = client.get(ZONE_ID, ENTRY_ID)
    assert getattr(got, field) == "\\x1b]0;pwned\\x07\\u202eX"


@pytest.mark.parametrize("field", ["id", "expires_on", "updated_at", "uploaded_on"])
def test_a_secret_in_a_checked_entry_field_is_a_malformed_answer_that_does_not_quote_it(
    hostile_server: HostileServer, field: str
) -> None:
    hostile_server.answer(success(entry(**{field: TOKEN})))
    error, _ = call(hostile_server, "get")
    assert type(error) is MalformedResponseError
    assert "an entry is malformed" in str(error)


def test_a_secret_in_retry_after_is_ignored(hostile_server: HostileServer) -> None:
    hostile_server.answer(
        send_json(
            429,
            {
                "success": False,
                "errors": [{"code": 10000, "message": "slow"}],
                "messages": [],
                "result": None,
            },
            {"Retry-After": TOKEN},
        )
    )
    error, _ = call(hostile_server, retry=TWO_FAST)
    assert type(error) is RateLimitedError
    assert "after 2 attempts" in str(error)


def test_a_redirect_is_not_followed_so_the_token_is_not_sent_elsewhere(
    hostile_server: HostileServer,
) -> None:
    hostile_server.answer(send(302, b"", {"Location": "http://203.0.113.9/steal"}))
    error, _ = call(hostile_server)
    assert type(error) is ApiError
    assert error.status_code == 302
    assert len(hostile_server.requests) == 1


# -- bounded time ----------------------------------------------------------------------------

DRIPS = {
    "status line, a byte a tenth of a second": drip(b"", b"H"),
    "a header line that never ends": drip(b"HTTP/1.1 200 OK\r\n", b"X"),
    "a body of 100 KB, a byte at a time": drip(
        head(200, {"Content-Length": "100000", "Content-Type": "application/json"}), b" "
    ),
    "an endless chunked body, a chunk at a time": drip(
        head(200, {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}),
        b"1\r\n \r\n",
    ),
}


@pytest.mark.parametrize("script", DRIPS.values(), ids=DRIPS.keys())
@pytest.mark.parametrize("operation", ["list", "upload"])
def test_a_slow_drip_ends_at_the_deadline(
    hostile_server: HostileServer, script: Script, operation: str
) -> None:
    hostile_server.answer(script)
    error, elapsed = call(hostile_server, operation)
    assert type(error) is TransportError
    assert f"(no complete answer within the {DEADLINE:g} s deadline)" in str(error)
    assert elapsed < DEADLINE + 2
    if operation == "upload":
        assert "An earlier attempt may have reached Cloudflare" in str(error)


def test_a_server_that_never_answers_ends_at_the_deadline(hostile_server: HostileServer) -> None:
    hostile_server.answer(lambda connection: time.sleep(30))
    error, elapsed = call(hostile_server)
    assert type(error) is TransportError
    assert "deadline" in str(error)
    assert elapsed < DEADLINE + 2


@pytest.mark.parametrize("deadline", [0.0, -1.0, float("nan"), float("inf"), True])
def test_a_deadline_that_bounds_nothing_is_refused(deadline: float) -> None:
    from provider.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="deadline must be a finite number"):
        TrustStoreClient(ApiToken(TOKEN), base_url="http://127.0.0.1:9/", deadline=deadline)


# -- bounded memory --------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys
    from provider.client import TrustStoreClient
    from provider.credentials import ApiToken
    from provider.retry import RetryPolicy
    client = TrustStoreClient(ApiToken({token!r}), base_url=sys.argv[1],
                              retry=RetryPolicy(max_attempts=1), deadline=15)
    try:
        client.list({zone!r})
    except Exception as exc:
        outcome = {{"class": type(exc).__name__, "message": str(exc)}}
    else:
        outcome = {{"class": None, "message": ""}}
    # VmHWM is this process's own peak; ru_maxrss would include pytest's size at fork.
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()
    outcome["peak_mib"] = int(status[0]) / 1024
    print(json.dumps(outcome))
    """
).format(token=TOKEN, zone=ZONE_ID)

HUGE = {
    "1 GiB chunked body": (
        endless_chunked(GIB),
        "the body is larger than the 16 MiB this client reads",
    ),
    "1 GiB gzip bomb": (bomb("gzip", GIB), "the body is larger than the 16 MiB this client reads"),
    "1 GiB deflate bomb": (
        bomb("deflate", GIB),
        "the body is larger than the 16 MiB this client reads",
    ),
    "nested gzip bomb": (
        bomb("gzip", GIB, layers=2),
        "content encoding this client did not ask for",
    ),
    "10 GiB announced": (
        send_raw(head(200, {"Content-Length": str(10 * GIB)}) + b"[" * 1000),
        "the body is larger than the 16 MiB this client reads",
    ),
}


@pytest.mark.parametrize(("script", "expected"), HUGE.values(), ids=HUGE.keys())
def test_a_huge_body_is_refused_in_bounded_memory(
    hostile_server: HostileServer, script: Script, expected: str
) -> None:
    hostile_server.answer(script)
    run = run_limited(["-c", CHILD, hostile_server.url], memory=GIB)
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout)
    assert outcome["class"] == "MalformedResponseError", outcome
    assert expected in outcome["message"]
    assert outcome["peak_mib"] < 200, outcome
    assert_no_secret(run.output)


# -- bodies that are not what the API sends ---------------------------------------------------

NOT_JSON = {
    "nested arrays": b"[" * 200_000,
    "nested objects": b'{"a":' * 200_000,
    "nested inside a valid envelope": b'{"success":true,"result":' + b"[" * 100_000,
}


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_our_error_not_a_recursion_error(
    hostile_server: HostileServer, body: bytes, status: int
) -> None:
    hostile_server.answer(send(status, body))
    error, _ = call(hostile_server)
    assert type(error) is (MalformedResponseError if status == 200 else ServerError)
    assert "the body's JSON is nested too deeply to read" in str(error)


NON_FINITE = {
    "total_count Infinity": (b'{"total_count": Infinity, "count": 0}', "it contains Infinity"),
    "total_count -Infinity": (b'{"total_count": -Infinity}', "it contains -Infinity"),
    "total_count NaN": (b'{"total_count": NaN}', "it contains NaN"),
    "total_count 1e999": (b'{"total_count": 1e999}', "a number is too large for a float"),
    "per_page 1e999": (b'{"per_page": 1e999}', "a number is too large for a float"),
}


@pytest.mark.parametrize(("info", "expected"), NON_FINITE.values(), ids=NON_FINITE.keys())
def test_non_finite_numbers_are_our_error_not_an_overflow_error(
    hostile_server: HostileServer, info: bytes, expected: str
) -> None:
    body = (
        b'{"success": true, "errors": [], "messages": [], "result": [], "result_info": '
        + info
        + b"}"
    )
    hostile_server.answer(send(200, body))
    error, _ = call(hostile_server)
    assert type(error) is MalformedResponseError
    assert f"the body is not valid JSON: {expected}" in str(error)


WRONG_BODIES = {
    "array": (b"[]", "the body is not a Cloudflare JSON envelope (application/json)"),
    "string": (b'"ok"', "the body is not a Cloudflare JSON envelope (application/json)"),
    "null": (b"null", "the body is not a Cloudflare JSON envelope (application/json)"),
    "not UTF-8": (b'{"success": "\xff\xfe"}', "the body is not a Cloudflare JSON envelope"),
    "5000-digit number": (b'{"success": ' + b"9" * 5000 + b"}", "not a Cloudflare JSON envelope"),
    "success as a string": (
        b'{"success": "true", "result": []}',
        "the envelope's 'success' is not true",
    ),
    "result not a list": (
        b'{"success": true, "result": {"a": 1}}',
        "'result' of page 1 is not a list",
    ),
    "empty body": (b"", "the body is not a Cloudflare JSON envelope"),
}


@pytest.mark.parametrize(("body", "expected"), WRONG_BODIES.values(), ids=WRONG_BODIES.keys())
def test_a_success_whose_body_breaks_the_contract_is_malformed(
    hostile_server: HostileServer, body: bytes, expected: str
) -> None:
    hostile_server.answer(send(200, body))
    error, _ = call(hostile_server)
    assert type(error) is MalformedResponseError
    assert expected in str(error)


def test_an_endless_list_of_errors_is_quoted_only_in_part(hostile_server: HostileServer) -> None:
    errors = [{"code": 1000 + i, "message": f"m{i} {TOKEN}"} for i in range(100_000)]
    hostile_server.answer(send_json(400, {"success": False, "errors": errors, "result": None}))
    error, _ = call(hostile_server)
    assert type(error) is ApiError
    assert len(error.errors) == 10
    assert len(str(error)) < 5000


@pytest.mark.parametrize(
    "encoding",
    ["br", "zstd", "compress", "gzip, gzip", "identity, gzip", TOKEN],
)
def test_an_encoding_the_client_did_not_ask_for_is_refused(
    hostile_server: HostileServer, encoding: str
) -> None:
    hostile_server.answer(send(200, b"{}", {"Content-Encoding": encoding}))
    error, _ = call(hostile_server)
    assert type(error) is MalformedResponseError
    assert "the body uses a content encoding this client did not ask for" in str(error)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_corrupt_compressed_body_is_refused(hostile_server: HostileServer, encoding: str) -> None:
    hostile_server.answer(
        send(200, b"\x1f\x8b\x08\x00garbage" * 10, {"Content-Encoding": encoding})
    )
    error, _ = call(hostile_server)
    assert type(error) is MalformedResponseError
    assert f"the {encoding} body is corrupt" in str(error)


# -- broken HTTP --------------------------------------------------------------------------------

BROKEN_HTTP: dict[str, Callable[[], Script]] = {
    "closed at once": lambda: send_raw(b""),
    "garbage status line": lambda: send_raw(b"HELLO THERE\r\n\r\n"),
    "HTTP/0.9 body only": lambda: send_raw(b'{"success": true}'),
    "bad header line": lambda: send_raw(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
    "two content lengths": lambda: send_raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}"
    ),
    "bad chunk size": lambda: send_raw(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ),
    "body shorter than announced": lambda: send_raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}"
    ),
    "200 KB of headers": lambda: send_raw(
        b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * 200_000 + b"\r\n\r\n"
    ),
    "token in a broken header line": lambda: send_raw(
        f"HTTP/1.1 200 OK\r\n{TOKEN}\r\n\r\n".encode()
    ),
    "token in the status line": lambda: send_raw(f"HTTP/1.1 200 {TOKEN}\r\nbad\r\n\r\n".encode()),
}


@pytest.mark.parametrize("script", BROKEN_HTTP.values(), ids=BROKEN_HTTP.keys())
def test_broken_http_is_a_transport_error(
    hostile_server: HostileServer, script: Callable[[], Script]
) -> None:
    hostile_server.answer(script())
    error, _ = call(hostile_server)
    assert type(error) is TransportError
    assert str(error).startswith(
        f"Cloudflare trust store list (zone {ZONE_ID}) failed: no answer from 127.0.0.1"
    )


@pytest.mark.parametrize("status", [999, 600, 199])
def test_a_status_outside_the_protocol_is_an_api_error(
    hostile_server: HostileServer, status: int
) -> None:
    hostile_server.answer(send(status, b"{}"))
    error, _ = call(hostile_server)
    assert isinstance(error, ApiError | TransportError)
    assert str(error).startswith(f"Cloudflare trust store list (zone {ZONE_ID}) failed")


@pytest.mark.parametrize("retry_after", ["99999999999", "inf", "nan", "-5", "Wed, 99 Foo"])
def test_an_absurd_retry_after_does_not_stall_the_call(
    hostile_server: HostileServer, retry_after: str
) -> None:
    hostile_server.answer(
        send_json(
            503,
            {"success": False, "errors": [{"code": 1, "message": "x"}]},
            {"Retry-After": retry_after},
        )
    )
    error, elapsed = call(hostile_server, retry=TWO_FAST)
    assert type(error) is ServerError
    assert "after 2 attempts" in str(error)
    assert elapsed < 2
