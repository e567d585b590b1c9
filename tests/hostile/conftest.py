"""A real socket server that answers whatever a test scripts, and helpers to run code under
resource limits: the hostile side of the hostile-input suite.

``hostile_server.answer(script)`` sets what every connection gets: ``script(connection)``
writes raw bytes to the socket after the request has been read. The scripts below send
ordinary answers, drips, endless bodies and decompression bombs.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import socket
import socketserver
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Planted everywhere a server or user controls; must never come out anywhere.
TOKEN = "hostile-token-Qw3Er5Ty7Ui9Op1As2Df4Gh6J"
API_KEY = "hostile-global-key-Zx8Cv6Bn4Mm2Lk9Jh7Gf5D"
SECRETS = (TOKEN, API_KEY)
ENTRY_ID = "2d6d9ff4b3a14a2c8d0e4f6a7b8c9d0e"
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Longest any hostile case may take, whatever the server does (each bound is far below).
TIME_BOUND = 20.0
MIB = 1024 * 1024
GIB = 1024 * MIB

Script = Callable[[socket.socket], None]


def assert_no_secret(text: str) -> None:
    """No secret, nor any 8-character piece of one, in ``text``."""
    for secret in SECRETS:
        pieces = {secret[i : i + 8] for i in range(len(secret) - 7)}
        found = [piece for piece in pieces if piece in text]
        assert not found, f"a piece of a secret leaked: {found[:3]}"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        connection: socket.socket = self.request
        connection.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                head += chunk
            header_block, _, body = head.partition(b"\r\n\r\n")
            length = 0
            for line in header_block.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                body += chunk
            self.server.owner.requests.append(header_block.decode("latin-1"))
            self.server.owner.script(connection)
        except OSError:
            return  # the client gave up: what the bounded cases expect


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileServer


class HostileServer:
    """A loopback HTTP/1.1 server whose every answer is a raw-bytes script."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.script: Script = send(500, b"no script")
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[0], self._server.server_address[1]
        return f"http://{host!s}:{port}/client/v4"

    def answer(self, script: Script) -> None:
        self.script = script

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


# -- scripts -------------------------------------------------------------------------------


def head(status: int, headers: Mapping[str, str] | None = None, *, reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Script:
    """An ordinary answer (Content-Length set unless given)."""
    all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    all_headers.update(headers or {})

    def script(connection: socket.socket) -> None:
        connection.sendall(head(status, all_headers) + body)

    return script


def send_json(status: int, document: object, headers: Mapping[str, str] | None = None) -> Script:
    return send(status, json.dumps(document).encode(), headers)


def send_raw(data: bytes) -> Script:
    def script(connection: socket.socket) -> None:
        connection.sendall(data)

    return script


def drip(prefix: bytes, unit: bytes, every: float = 0.1) -> Script:
    """Send ``prefix``, then ``unit`` forever, one every ``every`` seconds."""

    def script(connection: socket.socket) -> None:
        connection.sendall(prefix)
        while True:
            connection.sendall(unit)
            time.sleep(every)

    return script


def endless_chunked(total: int = GIB, chunk: int = MIB) -> Script:
    """A chunked 200 body of ``total`` bytes (valid JSON start, then spaces)."""
    piece = b" " * chunk

    def script(connection: socket.socket) -> None:
        connection.sendall(
            head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        )
        connection.sendall(b"%x\r\n[\r\n" % 1)
        for _ in range(total // chunk):
            connection.sendall(b"%x\r\n" % chunk + piece + b"\r\n")
        connection.sendall(b"0\r\n\r\n")

    return script


def bomb(encoding: str, total: int = GIB, layers: int = 1) -> Script:
    """A body that inflates to ``total`` bytes of spaces, compressed as it is sent."""

    def compressor() -> zlib._Compress:
        if encoding == "gzip":
            return zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)

    def script(connection: socket.socket) -> None:
        names = ", ".join([encoding] * layers)
        connection.sendall(
            head(200, {"Content-Type": "application/json", "Content-Encoding": names})
        )
        if layers > 1:  # small enough to build whole: the inner layer is already tiny
            inner = gzip.compress(b" " * (8 * MIB))
            connection.sendall(gzip.compress(inner))
            return
        packer, block = compressor(), b" " * MIB
        for _ in range(total // MIB):
            out = packer.compress(block)
            if out:
                connection.sendall(out)
        connection.sendall(packer.flush())

    return script


# -- running code under limits --------------------------------------------------------------


@dataclass(frozen=True)
class Limited:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _limits(memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))

    return apply


def run_limited(
    args: list[str],
    *,
    memory: int = GIB,
    timeout: float = TIME_BOUND,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
) -> Limited:
    """``python args...`` with at most ``memory`` bytes of address space and ``timeout`` s."""
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limits(memory),
        env={**os.environ, "PYTHONWARNINGS": "default", **(env or {})},
        cwd=cwd,
        check=False,
    )
    return Limited(
        completed.returncode, completed.stdout, completed.stderr, time.monotonic() - started
    )
