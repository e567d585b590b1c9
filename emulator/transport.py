"""Run the emulator in-process behind httpx: ``httpx.Client(transport=EmulatorTransport(emu))``.

The same WSGI app as the real server, with the socket-level faults mapped to what httpx
raises for a real socket:

* ``reset`` → :class:`httpx.ReadError` (connection reset by peer), nothing applied;
* ``drop_after_commit`` → :class:`httpx.RemoteProtocolError` ("Server disconnected without
  sending a response."), the request WAS applied;
* ``delay`` → a real sleep; when the delay exceeds the request's read timeout, the transport
  sleeps for the timeout, lets the request complete server-side (as a real slow server
  would) and raises :class:`httpx.ReadTimeout`.
"""

from __future__ import annotations

import io
import time
from typing import Any

import httpx

from emulator.app import SLEEP_KEY, DropConnection, Emulator


class EmulatorTransport(httpx.BaseTransport):
    def __init__(self, emulator: Emulator, *, sleep: Any = time.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
        timed_out = False

        def sleep(seconds: float) -> None:
            nonlocal timed_out
            if read_timeout is not None and seconds > read_timeout:
                self._sleep(read_timeout)
                timed_out = True
            else:
                self._sleep(seconds)

        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": request.url.path,
            "QUERY_STRING": request.url.query.decode("ascii"),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "SERVER_NAME": request.url.host,
            "SERVER_PORT": str(request.url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": request.url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            SLEEP_KEY: sleep,
        }
        for key, value in request.headers.items():
            name = "HTTP_" + key.upper().replace("-", "_")
            if name not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[name] = value
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: None

        try:
            payload = b"".join(self.emulator.wsgi_app(environ, start_response))
        except DropConnection as drop:
            if drop.mode == "reset":
                raise httpx.ReadError(
                    "[Errno 104] Connection reset by peer", request=request
                ) from None
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        if timed_out:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(
            captured["status"], headers=captured["headers"], content=payload, request=request
        )
