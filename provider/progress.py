"""Telling the user, on the resource's own line of Pulumi's output, why it is waiting.

A resource held back by the rate limit (``provider.pacing``) would otherwise look like a stall.
What the provider process writes to stderr reaches the CLI only as stack-level text, with no
resource. A provider plugin is started with the engine's address as its one argument
(``pulumi-resource-* <engine address>``, Pulumi's ``provider_plugin.go``) and the engine's
``Log`` call takes a URN: a message sent there is attached to the resource, in the progress
display and in the resource's diagnostics, as the official providers' status messages are.

Pulumi's Python dynamic-provider host hands the provider's methods no URN, though each gRPC
request carries one; :func:`current_urn` finds it on the calling thread's stack (the host's
handler frame holds ``request``). Anything missing (another host, no engine address, the engine
gone) makes :func:`report` return ``False`` and the caller falls back to the logger: a status
message must never fail a deployment.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from types import FrameType

_LOG = logging.getLogger(__name__)
#: How far up the calling thread's stack the host's request is looked for.
MAX_FRAMES = 60
_HOST_MODULE = "pulumi.dynamic.__main__"
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")
#: Seconds a log call to the engine may take before the message is given up.
LOG_TIMEOUT_SECONDS = 5.0


def current_urn(frame: FrameType | None = None) -> str | None:
    """The URN of the resource whose engine request this thread is serving, if any."""
    current: FrameType | None = frame if frame is not None else sys._getframe(1)
    for _ in range(MAX_FRAMES):
        if current is None:
            return None
        request = current.f_locals.get("request")
        urn = getattr(request, "urn", None)
        if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
            return urn
        current = current.f_back
    return None


def engine_address(argv: list[str] | None = None) -> str | None:
    """The engine's address the host was started with, when this is the provider host."""
    args = sys.argv if argv is None else argv
    main = sys.modules.get("__main__")
    in_host = getattr(getattr(main, "__spec__", None), "name", None) == _HOST_MODULE
    if argv is None and not in_host:
        return None
    found = next((a for a in args[1:] if _ADDRESS.match(a)), None)
    return found


class EngineLog:
    """A lazily opened channel to the engine's ``Log`` service (one per process)."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._lock = threading.Lock()
        self._stub: object | None = None
        self._broken = address is None

    def info(self, message: str, urn: str) -> bool:
        """Send ``message`` attached to ``urn``; ``False`` if it could not be sent."""
        if self._broken:
            return False
        try:
            from pulumi.runtime.proto import engine_pb2

            stub = self._connect()
            stub.Log(  # type: ignore[attr-defined]
                engine_pb2.LogRequest(severity=engine_pb2.INFO, message=message, urn=urn),
                timeout=LOG_TIMEOUT_SECONDS,
            )
        except Exception as exc:
            _LOG.debug("could not send a status message to the engine: %s", exc)
            self._broken = True
            return False
        return True

    def _connect(self) -> object:
        with self._lock:
            if self._stub is None:
                import grpc  # type: ignore[import-untyped]
                from pulumi.runtime.proto import engine_pb2_grpc

                channel = grpc.insecure_channel(str(self._address))
                self._stub = engine_pb2_grpc.EngineStub(channel)
            return self._stub


_engine_log: EngineLog | None = None
_engine_lock = threading.Lock()


def _process_engine_log() -> EngineLog:
    global _engine_log
    with _engine_lock:
        if _engine_log is None:
            _engine_log = EngineLog(engine_address())
        return _engine_log


def report(message: str) -> bool:
    """Attach ``message`` to the resource this thread serves; ``False`` when it could not be
    (no resource, not in the provider host, engine unreachable)."""
    urn = current_urn(sys._getframe(1))
    if urn is None:
        return False
    return _process_engine_log().info(message, urn)


def pacing_wait_message(seconds: float, limit: str) -> str:
    """What a resource held back by the pacer says."""
    return (
        f"waiting {seconds:.0f} s for the Cloudflare API rate limit ({limit}; set rateLimit or"
        " CLOUDFLARE_RATE_LIMIT to change it)"
    )


def on_pacing_wait(limit: str) -> Callable[[float], None]:
    """An ``on_pacing_wait`` callback for ``TrustStoreClient``: the wait on the resource's
    line when possible, else in the provider's log."""

    def announce(seconds: float) -> None:
        message = pacing_wait_message(seconds, limit)
        if not report(message):
            _LOG.info("%s", message)

    return announce
