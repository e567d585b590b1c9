"""Run the emulator in-process behind httpx: ``httpx.Client(transport=EmulatorTransport(emu))``.

httpx's own :class:`httpx.WSGITransport` runs the same WSGI app as the real server; this
transport wraps it and only maps the socket-level faults to what httpx raises for a real socket:

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
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from emulator.app import SLEEP_KEY, DropConnection, Emulator
from emulator.wsgi import StartResponse


class EmulatorTransport(httpx.BaseTransport):
    def __init__(self, emulator: Emulator, *, sleep: Callable[[float], Any] = time.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep
        self._errors = io.StringIO()  # emulator bugs are kept by the emulator itself

    def handle_request(self, request: httpx.Request) -> httpx.Response:
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

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            environ[SLEEP_KEY] = sleep
            return self.emulator.wsgi_app(environ, start_response)

        # One WSGITransport per request: its app carries this request's read timeout.
        transport = httpx.WSGITransport(app=app, wsgi_errors=self._errors)
        try:
            response = transport.handle_request(request)
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
        return response
