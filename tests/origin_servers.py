"""Real TLS servers on loopback presenting chains built in code (``scripts.certs``).

Each server runs its accept loop in a thread, completes the handshake with Python's ``ssl`` and
closes the connection: enough for a client to capture the presented chain. A server can pick its
chain by the SNI name the client sends.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.certs import Issued


@dataclass(frozen=True)
class Served:
    """What a server presents: its key's certificate first, then the rest of the chain."""

    leaf: Issued
    intermediates: tuple[Issued, ...] = ()


def _context(served: Served, folder: Path, tag: str) -> ssl.SSLContext:
    chain_file, key_file = folder / f"{tag}-chain.pem", folder / f"{tag}-key.pem"
    chain_file.write_text("".join(c.pem for c in (served.leaf, *served.intermediates)))
    key_file.write_text(served.leaf.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file, key_file)
    return context


@contextlib.contextmanager
def _serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """Accept connections on 127.0.0.1 in a thread, passing each to ``handle``; yields the port."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.2)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                handle(client)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            thread.join(timeout=5)


@contextlib.contextmanager
def tls_server(
    default: Served,
    by_sni: Mapping[str, Served] | None = None,
    refuse_sni: frozenset[str] = frozenset(),
) -> Iterator[int]:
    """Serve ``default`` (or ``by_sni[name]`` for that SNI name) on 127.0.0.1; yields the port.
    A name in ``refuse_sni`` aborts the handshake with an ``unrecognized_name`` alert."""
    with tempfile.TemporaryDirectory() as folder:
        context = _context(default, Path(folder), "default")
        others = {
            name: _context(s, Path(folder), f"sni{i}")
            for i, (name, s) in enumerate((by_sni or {}).items())
        }

        def pick(connection: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
            if name in refuse_sni:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            if name in others:
                connection.context = others[name]
            return None

        context.sni_callback = pick  # type: ignore[assignment]

        def handshake(client: socket.socket) -> None:
            client.settimeout(5)
            with contextlib.suppress(OSError), context.wrap_socket(client, server_side=True) as tls:
                tls.recv(1)
            client.close()

        with _serving(handshake) as port:
            yield port


@contextlib.contextmanager
def plain_server(greeting: bytes = b"HTTP/1.1 400 Bad Request\r\n\r\n") -> Iterator[int]:
    """A TCP server that answers with plain text: not TLS."""

    def answer(client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            client.settimeout(2)
            client.recv(4096)
            client.sendall(greeting)

    with _serving(answer) as port:
        yield port


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: a handshake that does not finish."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
