"""Fetch the certificate chain an origin presents, without trusting it.

Python's ``ssl`` returns only the peer's leaf (``getpeercert``; the verified chain API needs a
successful verification), so the handshake is done with pyOpenSSL, the PyCA's binding to the same
OpenSSL, whose ``get_peer_cert_chain`` returns every certificate the server sent. Verification is
switched off on purpose: the chain is captured to be judged by ``trust_rules.origins``, not used.

pyOpenSSL is imported when a chain is fetched, so the policy pack loads without it.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from policies.trust_rules.printable import printable

DEFAULT_PORT = 443
DEFAULT_TIMEOUT_SECONDS = 10.0


class ProbeError(Exception):
    """The chain could not be fetched; the message names the origin and what to check."""


@dataclass(frozen=True, slots=True)
class Origin:
    host: str
    port: int = DEFAULT_PORT
    sni: str | None = None

    @property
    def server_name(self) -> str:
        """The name sent as SNI and checked against the certificate."""
        return self.sni or self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return printable(f"{host}:{self.port}")


def parse_origin(text: str) -> Origin:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT``; ``ValueError`` names what is wrong."""
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"{printable(text)!r}: missing ']' after an IPv6 address")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{printable(text)!r}: expected ':PORT' after ']'")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host:
        raise ValueError(f"{printable(text)!r}: no host name")
    if not port_text:
        return Origin(host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{printable(text)!r}: port must be a number from 1 to 65535")
    return Origin(host, int(port_text))


def fetch_chain(
    host: str,
    port: int = DEFAULT_PORT,
    sni: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[x509.Certificate]:
    """The certificates ``host:port`` presents (leaf first) when greeted with SNI ``sni``
    (default: ``host``, unless it is an IP address). Every step is bounded by ``timeout``
    seconds; failures raise ``ProbeError`` saying which step failed."""
    from OpenSSL import SSL  # deferred: the published pack does not need pyOpenSSL

    where = str(Origin(host, port))
    deadline = time.monotonic() + timeout
    sock = _connect(where, _resolve(where, host, port, timeout), deadline, timeout)
    with sock:
        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_verify(SSL.VERIFY_NONE)
        connection = SSL.Connection(context, sock)
        name = sni if sni is not None else (None if _is_ip(host) else host)
        if name:
            try:
                connection.set_tlsext_host_name(name.encode("idna"))
            except UnicodeError:
                raise ProbeError(f"{where}: {printable(name)!r} is not a valid SNI name") from None
        connection.set_connect_state()
        try:
            _handshake(connection, sock, timeout)
        except TimeoutError:
            raise ProbeError(
                f"{where}: the TLS handshake did not finish within {timeout:g} s; is it a TLS port?"
            ) from None
        except SSL.Error as error:
            raise ProbeError(f"{where}: {_handshake_problem(error)}") from None
        except OSError as error:
            raise ProbeError(
                f"{where}: the connection closed during the TLS handshake "
                f"({printable(error.strerror or type(error).__name__)}); is it a TLS port?"
            ) from None
        chain = connection.get_peer_cert_chain(as_cryptography=True)
    if not chain:
        raise ProbeError(f"{where}: the server presented no certificate")
    return list(chain)


def _resolve(where: str, host: str, port: int, timeout: float) -> list[Any]:
    """``getaddrinfo`` bounded by ``timeout`` (it has no timeout of its own): it runs in a
    daemon thread, abandoned if the resolver does not answer in time."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as error:
            found["error"] = error

    worker = threading.Thread(target=lookup, name="probe-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ProbeError(
            f"{where}: the name {printable(host)!r} did not resolve within {timeout:g} s (DNS)"
        )
    error = found.get("error")
    if isinstance(error, socket.gaierror):
        raise ProbeError(
            f"{where}: the name {printable(host)!r} does not resolve ({error.strerror}); check "
            "the host name"
        )
    if error is not None:
        raise ProbeError(f"{where}: {printable(host)!r} is not a valid host name")
    addresses: list[Any] = found["addresses"]
    return addresses


def _connect(where: str, addresses: list[Any], deadline: float, timeout: float) -> socket.socket:
    """A TCP connection to the first address that accepts, within the deadline."""
    problem = f"{where}: no address to connect to"
    for family, kind, protocol, _, address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            problem = f"{where}: no answer within {timeout:g} s; check host, port and firewall"
            break
        sock = socket.socket(family, kind, protocol)
        sock.settimeout(remaining)
        try:
            sock.connect(address)
            return sock
        except ConnectionRefusedError:
            problem = f"{where}: connection refused; is the origin listening on that port?"
        except TimeoutError:
            problem = f"{where}: no answer within {timeout:g} s; check host, port and firewall"
        except OSError as error:
            problem = f"{where}: cannot connect ({printable(error.strerror or str(error))})"
        sock.close()
    raise ProbeError(problem)


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _handshake(connection: Any, sock: socket.socket, timeout: float) -> None:
    """The handshake on a non-blocking socket, waiting at most ``timeout`` seconds in all
    (pyOpenSSL raises WantRead/WantWrite instead of honouring socket timeouts)."""
    from OpenSSL import SSL

    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.do_handshake()
            return
        except SSL.WantReadError:
            readable, writable = [sock], []
        except SSL.WantWriteError:
            readable, writable = [], [sock]
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not any(select.select(readable, writable, [], remaining)):
            raise TimeoutError


def _openssl_reasons(error: Exception) -> str:
    """OpenSSL's reasons ("tlsv1 unrecognized name") from pyOpenSSL's list of error tuples."""
    details = error.args[0] if error.args else None
    if isinstance(details, list):
        reasons = [str(item[-1]) for item in details if isinstance(item, tuple) and item]
        if reasons:
            return printable("; ".join(reasons))
    return printable(str(error) or type(error).__name__)


def _handshake_problem(error: Exception) -> str:
    text = _openssl_reasons(error)
    if "wrong version number" in text or "packet length too long" in text or "record layer" in text:
        return "the server does not speak TLS on this port (is it plain HTTP?)"
    if "Unexpected EOF" in text or "SysCallError" in type(error).__name__:
        return "the server closed the connection during the TLS handshake; is it a TLS port?"
    return f"the TLS handshake failed ({text}); check the port and the SNI name (--sni)"
