"""Bounded time and memory for one HTTP exchange, whatever the server does.

httpx bounds each socket operation (its read timeout is per chunk), so a server that drips one
byte a second, or sends an endless body, or a small gzip body that inflates to gigabytes, would
hold a call for ever or exhaust memory. Here:

- ``exchange_deadline(seconds)`` sets a deadline for every socket operation made in its block
  (connect, TLS, write, read of headers and body): ``bound_sockets(client)`` wraps the network
  backend of the client's connection pools so each operation waits at most the time left, and
  fails with httpx's own ``ConnectTimeout``/``ReadTimeout``/``WriteTimeout`` once it is spent.
- ``read_body(response, limit)`` reads the raw body in chunks, inflating gzip/deflate itself
  with a bound on the output, and stops as soon as the decoded size passes ``limit``.
- ``decode_json(body)`` refuses what the JSON spec does not allow (NaN, Infinity, numbers too
  large for a float) and nesting deeper than Python's parser can take.

Each refusal is an ``UnreadableBody`` whose message is ours, never the server's text.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import NoReturn

import httpcore
import httpx

#: The whole of one exchange (connect, send, all headers, whole body). The official SDK's
#: timeout is 60 s; a trust store answer is a few KiB.
DEFAULT_EXCHANGE_DEADLINE = 60.0
#: Largest decoded body read: a full page of 50 entries of the largest accepted certificate
#: (64 KiB) is about 3.3 MB; nothing Cloudflare sends for this API comes near 16 MiB.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Encodings this client asks for and can inflate with a bound on the output.
ACCEPT_ENCODING = "gzip, deflate"

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "exchange_deadline", default=None
)


class UnreadableBody(ValueError):
    """The body cannot be read within the client's bounds, or is not JSON the API could send."""


@contextlib.contextmanager
def exchange_deadline(seconds: float) -> Iterator[float]:
    """Bound every socket operation in this block to ``seconds`` from now, in total."""
    deadline = time.monotonic() + seconds
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def deadline_passed() -> bool:
    """Whether the current exchange's deadline is spent."""
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() >= deadline


def _time_left(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the exchange's deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: object,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, bounded))  # type: ignore[arg-type]

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)  # type: ignore[arg-type]
        return _BoundedStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._inner.connect_unix_socket(path, bounded, socket_options))  # type: ignore[arg-type]

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_sockets(client: httpx.Client) -> None:
    """Make the client's connection pools honour ``exchange_deadline``.

    httpx offers no hook for the network backend of the pools it builds (with the proxies it
    reads from the environment), so the backend is wrapped in place. A transport without a
    connection pool (a test double, an in-process app) cannot block on a socket; its bodies
    are still bounded by ``read_body``.
    """
    mounts = getattr(client, "_mounts", {})
    transports = [getattr(client, "_transport", None), *mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, _BoundedBackend
        ):
            pool._network_backend = _BoundedBackend(backend)  # type: ignore[union-attr]


class _Inflater:
    """gzip/deflate decoding that never produces more than ``limit`` + 1 bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        # 32 + MAX_WBITS reads both gzip and zlib ("deflate" as HTTP means it) headers.
        self._decoder = zlib.decompressobj(32 + zlib.MAX_WBITS)
        self._encoding = encoding
        self._limit = limit

    def feed(self, chunk: bytes, produced: int) -> bytes:
        out = bytearray()
        try:
            while chunk:
                room = self._limit + 1 - produced - len(out)
                out += self._decoder.decompress(chunk, room)
                if produced + len(out) > self._limit:
                    break
                chunk = self._decoder.unconsumed_tail
        except zlib.error as exc:
            raise UnreadableBody(f"the {self._encoding} body is corrupt") from exc
        return bytes(out)


def _too_large(limit: int) -> NoReturn:
    raise UnreadableBody(
        f"the body is larger than the {limit // (1024 * 1024)} MiB this client reads"
    )


def read_body(response: httpx.Response, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The decoded body of a streamed response, read up to ``limit`` bytes.

    Raises ``UnreadableBody`` for a larger body (announced or actual) or an encoding this
    client did not ask for; httpx's transport errors (including the deadline) pass through.
    """
    try:
        # An in-process transport may hand over a body it has read (and decoded) already.
        whole = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(whole) > limit:
            _too_large(limit)
        return whole
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        _too_large(limit)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding, limit)
    else:
        raise UnreadableBody(
            "the body uses a content encoding this client did not ask for (it accepts "
            f"{ACCEPT_ENCODING})"
        )
    body = bytearray()
    for chunk in response.iter_raw():
        body += inflater.feed(chunk, len(body)) if inflater is not None else chunk
        if len(body) > limit:
            _too_large(limit)
        if deadline_passed():
            raise httpx.ReadTimeout("the exchange's deadline passed", request=response.request)
    return bytes(body)


def _refuse_constant(name: str) -> NoReturn:
    raise UnreadableBody(f"the body is not valid JSON: it contains {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnreadableBody("the body is not valid JSON: a number is too large for a float")
    return value


def decode_json(body: bytes) -> object:
    """The JSON value of ``body``, as strict as the JSON spec; ``UnreadableBody`` otherwise."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnreadableBody:
        raise
    except RecursionError:
        raise UnreadableBody("the body's JSON is nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise UnreadableBody("the body is not JSON") from exc
