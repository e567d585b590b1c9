"""Hostile requests against the emulator's real socket (werkzeug's server), byte for byte.

Each case sends raw bytes, then asserts: the exact HTTP status and Cloudflare-style error
code (and message), an answer within a bounded time, exactly one response per connection
(nothing smuggled after a body ever runs), no traceback on stderr, and that the server still
serves a normal request afterwards.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulator.server import EmulatorServer, _Handler
from scripts.certs import root_ca
from tests.common import TOKEN, ZONE_ID

#: Every answer must come within this many seconds (the server's own limits are far lower).
BOUND_SECONDS = 5.0
COLLECTION = f"/client/v4/zones/{ZONE_ID}/acm/custom_trust_store"
AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def error(self) -> tuple[int, str]:
        envelope = self.json()
        assert envelope["success"] is False
        assert envelope["result"] is None
        first = envelope["errors"][0]
        return first["code"], first["message"]


def exchange(
    server: EmulatorServer, raw: bytes, *, half_close: bool = False, until_close: bool = True
) -> Answer:
    """Send ``raw`` on a fresh connection, read until the server closes (else until one whole
    response is in), and parse exactly ONE response."""
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=BOUND_SECONDS) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed while we were still sending
            pass
        data = b""
        while (until_close or not _complete(data)) and (chunk := _recv(sock)):
            data += chunk
    seconds = time.monotonic() - started
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete HTTP response: {data[:200]!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, status, _ = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers["content-length"])
    assert len(body) == length, f"bytes after the response (a second response?): {body!r}"
    assert headers["connection"] == "close"
    return Answer(int(status), headers, body, seconds)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    length = [
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    return bool(sep and length and len(body) >= length[0])


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:  # the server closed with unread input still queued
        return b""


def request(
    method: str = "GET",
    target: str = COLLECTION,
    headers: bytes = b"",
    body: bytes = b"",
    *,
    host: bytes = b"Host: emulator\r\n",
    auth: bytes = AUTH,
    version: bytes = b"HTTP/1.1",
) -> bytes:
    return b"%s %s %s\r\n%s%s%s\r\n%s" % (
        method.encode(),
        target.encode("latin-1"),
        version,
        host,
        auth,
        headers,
        body,
    )


def upload_body(certificate: str = "") -> bytes:
    return json.dumps({"certificate": certificate or root_ca("Hostile Root").pem}).encode()


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.fixture
def server(
    emulator_server: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> Iterator[EmulatorServer]:
    """The real server; after the case it still answers, and nothing printed a traceback."""
    yield emulator_server
    with httpx.Client(
        base_url=emulator_server.base_url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        assert client.get(COLLECTION.removeprefix("/client/v4")).status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def malformed(answer: Answer, status: int, reason: str) -> None:
    assert answer.status == status, answer.body
    code, message = answer.error()
    assert code == 1423
    assert message == f"Malformed HTTP request: {reason}"
    assert answer.seconds < BOUND_SECONDS


# -- request framing -------------------------------------------------------------------------


def test_conflicting_content_length_cannot_smuggle_a_delete(server: EmulatorServer) -> None:
    entry = server.emulator.store.upload(ZONE_ID, root_ca("Kept Root").pem)
    hidden = request("DELETE", f"{COLLECTION}/{entry['id']}")
    raw = request(
        "POST",
        headers=b"Content-Length: 2\r\nContent-Length: %d\r\n" % (2 + len(hidden)),
        body=b"{}" + hidden,
    )
    malformed(exchange(server, raw), 400, "conflicting Content-Length headers")
    time.sleep(0.2)  # were a second request parsed, it would have run by now
    assert [e.id for e in server.emulator.store.entries()] == [entry["id"]]
    assert server.emulator.requests() == []  # not even the POST reached the API


def test_body_then_pipelined_delete_runs_only_the_first_request(server: EmulatorServer) -> None:
    entry = server.emulator.store.upload(ZONE_ID, root_ca("Kept Root").pem)
    raw = request("GET") + request("DELETE", f"{COLLECTION}/{entry['id']}")
    answer = exchange(server, raw)  # asserts exactly one response on the connection
    assert answer.status == 200
    time.sleep(0.2)
    assert [r["method"] for r in server.emulator.requests()] == ["GET"]
    assert len(server.emulator.store.entries()) == 1


def test_identical_duplicate_content_length_is_accepted(server: EmulatorServer) -> None:
    body = upload_body()
    raw = request("POST", headers=b"Content-Length: %d\r\n" % len(body) * 2, body=body)
    answer = exchange(server, raw)
    assert answer.status == 200
    assert answer.json()["result"]["status"] == "active"


@pytest.mark.parametrize(
    "value", [b"abc", b"-5", b"+5", b"1 0", b"5, 5", b"0x10", b"\xd9\xa3"], ids=repr
)
def test_non_numeric_content_length(server: EmulatorServer, value: bytes) -> None:
    raw = request("POST", headers=b"Content-Length: " + value + b"\r\n", body=b"{}")
    malformed(exchange(server, raw), 400, "Content-Length must be a decimal number of bytes")


def test_transfer_encoding_with_content_length(server: EmulatorServer) -> None:
    raw = request(
        "POST",
        headers=b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        body=chunked(b"{}"),
    )
    malformed(exchange(server, raw), 400, "Transfer-Encoding and Content-Length together")


@pytest.mark.parametrize(
    ("coding", "status", "reason"),
    [
        (b"gzip, chunked", 501, "unsupported Transfer-Encoding gzip, chunked"),
        (b"chunked, gzip", 400, "Transfer-Encoding must end with chunked"),
        (b"identity", 400, "Transfer-Encoding must end with chunked"),
    ],
)
def test_transfer_codings_other_than_chunked(
    server: EmulatorServer, coding: bytes, status: int, reason: str
) -> None:
    raw = request("POST", headers=b"Transfer-Encoding: " + coding + b"\r\n", body=chunked(b"{}"))
    malformed(exchange(server, raw), status, reason)


def test_chunked_upload_is_understood(server: EmulatorServer) -> None:
    body = upload_body()
    raw = request(
        "POST", headers=b"Transfer-Encoding: chunked\r\n", body=chunked(body[:100], body[100:])
    )
    assert exchange(server, raw).status == 200
    assert len(server.emulator.store.entries()) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n{}\r\n0\r\n\r\n",  # not hex
        b"-2\r\n{}\r\n0\r\n\r\n",  # negative
        b"2;name=value\r\n{}\r\n0\r\n\r\n",  # a chunk extension (werkzeug reads none)
        b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the chunk data
    ],
    ids=["not-hex", "negative", "extension", "no-chunk-terminator"],
)
def test_bad_chunks(server: EmulatorServer, body: bytes) -> None:
    raw = request("POST", headers=b"Transfer-Encoding: chunked\r\n", body=body)
    answer = exchange(server, raw, half_close=True)
    assert answer.status == 400
    code, message = answer.error()
    assert code == 1423
    assert message.startswith("Malformed HTTP request: unreadable request body")
    assert answer.seconds < BOUND_SECONDS
    assert server.emulator.store.entries() == []


def test_truncated_chunked_body(server: EmulatorServer) -> None:
    raw = request("POST", headers=b"Transfer-Encoding: chunked\r\n", body=b"40\r\n{}")
    answer = exchange(server, raw, half_close=True)
    assert answer.status == 400
    assert answer.error()[0] == 1423  # cut short: unreadable
    assert server.emulator.store.entries() == []


def test_a_chunk_claiming_exabytes_is_bounded(server: EmulatorServer) -> None:
    raw = request("POST", headers=b"Transfer-Encoding: chunked\r\n", body=b"fffffffffffffff\r\nab")
    answer = exchange(server, raw, half_close=True)
    assert answer.status == 413
    assert answer.error()[0] == 1422
    assert answer.seconds < BOUND_SECONDS


def test_body_over_the_cap_by_content_length(server: EmulatorServer) -> None:
    raw = request("POST", headers=b"Content-Length: %d\r\n" % (64 * 1024 * 1024))
    answer = exchange(server, raw)  # answered without waiting for 64 MiB
    assert answer.status == 413
    assert answer.error() == (1422, "Request body too large: at most 1048576 bytes are accepted")


def test_body_over_the_cap_chunked(server: EmulatorServer) -> None:
    piece = b"x" * 65536
    raw = request("POST", headers=b"Transfer-Encoding: chunked\r\n", body=chunked(*[piece] * 20))
    # werkzeug then discards the rest of the input until the client stops sending: read the
    # answer, do not wait for the close.
    answer = exchange(server, raw, until_close=False)
    assert answer.status == 413
    assert answer.error()[0] == 1422


def test_huge_content_length_on_a_get_is_not_awaited(server: EmulatorServer) -> None:
    raw = request("GET", headers=b"Content-Length: 99999999999999999999\r\n")
    assert exchange(server, raw).status == 200


# -- request line and headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        (b"HELLO\r\n\r\n", 400, "Bad request syntax ('HELLO')"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "Invalid HTTP version (2.0)"),
        (b"GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400, "Bad request version ('HTTP/1.x')"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
            431,
            "Line too long",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)),
            431,
            "Too many headers",
        ),
    ],
    ids=["garbage", "http2", "bad-version", "long-target", "long-header", "many-headers"],
)
def test_request_lines_and_header_blocks_the_parser_refuses(
    server: EmulatorServer, raw: bytes, status: int, reason: str
) -> None:
    malformed(exchange(server, raw + b"\r\n"), status, reason)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        (b"", "an HTTP/1.1 request needs exactly one Host header"),
        (b"Host: a\r\nHost: b\r\n", "an HTTP/1.1 request needs exactly one Host header"),
    ],
    ids=["no-host", "two-hosts"],
)
def test_host_header_rules(server: EmulatorServer, host: bytes, reason: str) -> None:
    malformed(exchange(server, request(host=host)), 400, reason)


@pytest.mark.parametrize(
    "line",
    [b"NoColonHere", b"Content-Length : 5", b"Bad Name: x", b"\x01Ctl: x"],
    ids=["no-colon", "space-before-colon", "space-in-name", "control-in-name"],
)
def test_malformed_header_lines(server: EmulatorServer, line: bytes) -> None:
    answer = exchange(server, request(headers=line + b"\r\n"))
    assert answer.status == 400
    assert answer.error()[0] == 1423
    assert server.emulator.requests() == []


@pytest.mark.parametrize(
    "value", [b"Bearer \xff\xfe", b"Bearer a\x00b", b"Basic dXNlcjpwYXNz", b"Bearer"], ids=repr
)
def test_hostile_authorization_values(server: EmulatorServer, value: bytes) -> None:
    answer = exchange(server, request(auth=b"Authorization: " + value + b"\r\n"))
    assert answer.status == 400
    envelope = answer.json()
    assert envelope["errors"] == [
        {
            "code": 6003,
            "message": "Invalid request headers",
            "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
        }
    ]


@pytest.mark.parametrize(
    "method", ["BREW", "get", "TRACE", "CONNECT", "GE\x00T", "PROPFIND"], ids=repr
)
def test_unknown_methods(server: EmulatorServer, method: str) -> None:
    answer = exchange(server, request(method))
    assert answer.status == 405
    assert answer.error() == (
        10000,
        f"{method} method not allowed for the api_token authentication scheme",
    )


def test_head_has_no_body(server: EmulatorServer) -> None:
    raw = request("HEAD")
    with socket.create_connection((server.host, server.port), timeout=BOUND_SECONDS) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := _recv(sock):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b""


def test_slow_headers_are_cut_off(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Handler, "timeout", 0.5)
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=BOUND_SECONDS) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never the rest
        assert _recv(sock) == b""  # closed without an answer
    assert time.monotonic() - started < BOUND_SECONDS


def test_connect_and_close_at_once(server: EmulatorServer) -> None:
    for _ in range(20):
        socket.create_connection((server.host, server.port), timeout=BOUND_SECONDS).close()


# -- paths and queries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "code"),
    [
        (f"/client/v4/zones/{ZONE_ID}%2Facm/custom_trust_store", 7003),
        (f"/client/v4/zones/{ZONE_ID}%2facm%2Fcustom_trust_store", 7003),
        (f"/client/v4/zones/../zones/{ZONE_ID}/acm/custom_trust_store", 7000),
        (f"{COLLECTION}/..", 7003),
        (f"{COLLECTION}/%00", 7003),
        (f"{COLLECTION}/%ff%fe", 7003),
        (f"{COLLECTION}/{'a' * 32}%20", 7003),
        (f"/client/v4//zones/{ZONE_ID}/acm/custom_trust_store", 7000),
        (f"{COLLECTION}/{'ab' * 2000}", 7003),
        ("*", 7000),
    ],
    ids=[
        "encoded-slash",
        "encoded-slashes-mixed-case",
        "dot-dot-segment",
        "dot-dot-id",
        "nul",
        "bad-utf8",
        "trailing-space",
        "double-slash",
        "4000-char-id",
        "asterisk",
    ],
)
def test_path_tricks(server: EmulatorServer, target: str, code: int) -> None:
    server.emulator.store.upload(ZONE_ID, root_ca("Target Root").pem)
    answer = exchange(server, request("DELETE", target))
    assert (answer.status, answer.error()[0]) == (400, code)
    assert len(server.emulator.store.entries()) == 1  # nothing was deleted


def test_absolute_form_target_is_routed_by_its_path(server: EmulatorServer) -> None:
    answer = exchange(server, request("GET", f"http://elsewhere.example{COLLECTION}"))
    assert answer.status == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("per_page=1e309", "per_page must be an integer; got '1e309'"),
        ("page=nan", "page must be an integer; got 'nan'"),
        ("page=-0", "page must be an integer >= 1"),
        ("offset=-1", "offset must be an integer >= 0"),
        ("limit=%ff", "limit must be an integer; got '%FF'"),
        ("per_page=" + "9" * 400, f"per_page must be an integer; got '{'9' * 400}'"),
    ],
)
def test_hostile_queries(server: EmulatorServer, query: str, message: str) -> None:
    answer = exchange(server, request("GET", f"{COLLECTION}?{query}"))
    assert answer.status == 400
    assert answer.error() == (1420, f"Invalid query parameter: {message}")


# -- bodies ----------------------------------------------------------------------------------


def _post(server: EmulatorServer, body: bytes) -> Answer:
    return exchange(
        server, request("POST", headers=b"Content-Length: %d\r\n" % len(body), body=body)
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "the JSON is nested too deeply"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "the JSON is nested too deeply"),
        (b'{"certificate": "\xff\xfe"}', "the body is not UTF-8 text"),
        ('{"certificate": "x"}'.encode("utf-16"), "the body is not UTF-8 text"),
        (b'\xef\xbb\xbf{"certificate": "x"}', "the body is not valid JSON"),
        (b'{"certificate": ' + b"1" * 5000 + b"}", "the body is not valid JSON"),
        (b'{"certificate": "x"', "the body is not valid JSON"),
    ],
    ids=["nested-arrays", "nested-objects", "bad-utf8", "utf16", "bom", "huge-int", "truncated"],
)
def test_hostile_json(server: EmulatorServer, body: bytes, message: str) -> None:
    answer = _post(server, body)
    assert answer.status == 400
    assert answer.error() == (1421, f"Invalid request body: {message}")
    assert server.emulator.internal_errors() == []


@pytest.mark.parametrize(
    "body",
    [b'{"certificate": NaN}', b'{"certificate": 1e999}', b'{"certificate": null}'],
    ids=["nan", "infinity", "null"],
)
def test_non_string_certificates(server: EmulatorServer, body: bytes) -> None:
    answer = _post(server, body)
    assert answer.status == 400
    assert answer.error() == (
        1412,
        "certificate is required: a PEM-encoded root CA certificate string",
    )


@pytest.mark.parametrize(
    "certificate",
    [
        "-----BEGIN CERTIFICATE-----\n\x00\x1b[31m\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n" + "A" * 900_000 + "\n-----END CERTIFICATE-----\n",
    ],
    ids=["control-characters", "900k-of-base64"],
)
def test_hostile_pem(server: EmulatorServer, certificate: str) -> None:
    answer = _post(server, json.dumps({"certificate": certificate}).encode())
    assert answer.status == 400
    assert answer.error() == (1002, "Invalid certificate.")
    assert answer.seconds < BOUND_SECONDS


def test_private_key_is_never_echoed(server: EmulatorServer) -> None:
    ca = root_ca()
    answer = _post(server, json.dumps({"certificate": ca.pem, "key": ca.key_pem}).encode())
    assert (answer.status, answer.error()[0]) == (400, 1416)
    assert ca.key_pem.splitlines()[1].encode() not in answer.body


# -- the control API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        (
            "/__emulator/faults",
            b"[" * 100_000,
            "Invalid request body: the JSON is nested too deeply",
        ),
        ("/__emulator/faults", b'{"mode": "delay", "delay_seconds": 1e999}', "delay_seconds"),
        ("/__emulator/clock", b'{"advance_seconds": NaN}', "advance_seconds"),
        ("/__emulator/clock", b'{"advance_seconds": Infinity}', "advance_seconds"),
        (f"/__emulator/zones/{ZONE_ID}", b'{"name": "\xff"}', "not UTF-8"),
    ],
    ids=["nested", "infinite-delay", "nan-clock", "infinite-clock", "bad-utf8"],
)
def test_hostile_control_bodies(server: EmulatorServer, path: str, body: bytes, error: str) -> None:
    method = "PUT" if "/zones/" in path else "POST"
    answer = exchange(
        server,
        request(method, path, b"Content-Length: %d\r\n" % len(body), body, auth=b""),
    )
    assert answer.status == 400
    assert error in answer.json()["error"]
    assert server.emulator.clock.offset_seconds == 0
    assert server.emulator.faults.pending() == []
