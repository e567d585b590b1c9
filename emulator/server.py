"""The emulator on a real socket: werkzeug's threaded WSGI server (as moto's server mode).

HTTP/1.1 parsing is the library's (:mod:`http.server` under werkzeug): the request line,
headers, chunked bodies, and one request per connection (werkzeug answers every request with
``Connection: close`` and discards unread input, so bytes hidden after a body can never run
as a second request). On top of it the handler refuses ambiguous framing before the app runs,
as RFC 9112 §6 asks: conflicting or non-numeric ``Content-Length``, ``Transfer-Encoding``
together with ``Content-Length``, a coding other than ``chunked``, a missing ``Host``. Every
refusal from the HTTP layer is a Cloudflare-style JSON envelope (code 1423, see
:mod:`emulator.errors`), never an HTML page or a silently closed connection.

Fault injection closes a connection without any response: ``reset`` aborts it with a TCP RST
(clients see a connection reset), ``drop_after_commit`` closes it cleanly after the request
was applied (clients see the server disconnect without a response).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from collections.abc import Iterable
from email.message import Message
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from emulator import errors
from emulator.app import API_PREFIX, DropConnection, Emulator
from emulator.config import EmulatorConfig
from emulator.lifetime import Lifetime
from emulator.wsgi import StartResponse, WsgiApp

DEFAULT_HOST = "127.0.0.1"
#: RFC 9110 §5.1 field names are tokens: no whitespace (``Name :``) and no controls.
_FIELD_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Seconds a connection may stay silent (request line, headers, body) before it is closed.
IDLE_TIMEOUT_SECONDS = 30.0


class _Dropped(ConnectionAbortedError):
    """A fault closed the connection on purpose; werkzeug treats it as a dropped connection
    and sends nothing."""

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode


def _faultable(app: WsgiApp) -> WsgiApp:
    def run(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except DropConnection as drop:
            raise _Dropped(drop.mode) from None

    return run


def framing_problem(headers: Message, version: str) -> tuple[int, str] | None:
    """Why this request's framing is refused (status, reason), or ``None`` if it is sound."""
    if headers.defects or headers.get_payload():
        return 400, "a header line is not 'Name: value'"
    if any(not _FIELD_NAME.match(name) for name in headers):
        return 400, "a header name holds whitespace or characters a token cannot"
    lengths = [value.strip() for value in headers.get_all("Content-Length") or []]
    codings = [
        coding.strip().lower()
        for value in headers.get_all("Transfer-Encoding") or []
        for coding in value.split(",")
    ]
    if version >= "HTTP/1.1" and len(headers.get_all("Host") or []) != 1:
        return 400, "an HTTP/1.1 request needs exactly one Host header"
    if any(not (value.isascii() and value.isdigit()) for value in lengths):
        return 400, "Content-Length must be a decimal number of bytes"
    if len(set(lengths)) > 1:
        return 400, "conflicting Content-Length headers"
    if codings and lengths:
        return 400, "Transfer-Encoding and Content-Length together"
    if codings and codings[-1] != "chunked":
        return 400, "Transfer-Encoding must end with chunked"
    if codings and codings != ["chunked"]:
        return 501, f"unsupported Transfer-Encoding {', '.join(codings)}"
    return None


class _Handler(WSGIRequestHandler):
    server: BaseWSGIServer
    server_version = "cloudflare-api-emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # Head and body go out as separate writes: without Nagle's delay, no 40 ms delayed-ACK
    # stall per request.
    disable_nagle_algorithm = True
    _abort = False

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        problem = framing_problem(self.headers, self.request_version)
        if problem is not None:
            self.send_error(*problem)
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every refusal of the HTTP layer as a JSON envelope, and the connection closed."""
        error = errors.malformed_request(message or self.responses.get(code, ("",))[0], code)
        body = json.dumps(error.body()).encode()
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # unparsable request line: answer in HTTP/1.1
            self.request_version = self.protocol_version
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:  # the client is already gone
            pass

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.close_connection = True
        self._abort = isinstance(error, _Dropped) and error.mode == "reset"

    def finish(self) -> None:
        if self._abort:
            # SO_LINGER 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.wfile.close()
            self.rfile.close()
            self.connection.close()
            return
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self.server, "verbose", False):
            super().log_request(code, size)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


class EmulatorServer(Lifetime):
    """The emulator on a real socket, in a background thread.

    ``with EmulatorServer(config) as server:`` → ``server.base_url`` (``…/client/v4``),
    ``server.root_url`` (``http://127.0.0.1:PORT``), ``server.emulator`` (the
    :class:`~emulator.Emulator`, to inspect or steer in-process). ``port=0`` picks a free port.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        emulator: Emulator | None = None,
        verbose: bool = False,
    ) -> None:
        self.emulator = emulator or Emulator(config)
        self._owns_emulator = emulator is None
        # Bound here, not by werkzeug: on failure it prints and calls sys.exit(1); we raise
        # OSError so callers (``python -m emulator``, tests) say what went wrong themselves.
        listening = _listen(host, port)
        try:
            self._httpd = make_server(
                host,
                listening.getsockname()[1],
                _faultable(self.emulator.wsgi_app),
                threaded=True,
                request_handler=_Handler,
                fd=listening.fileno(),
            )
        finally:
            listening.close()  # werkzeug keeps its own duplicate of the descriptor
        self._httpd.verbose = verbose  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        """Stop serving and release the port (and the emulator, when this server made it)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()
        if self._owns_emulator:
            self.emulator.close()

    close = stop
