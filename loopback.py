"""Whether a host name or address stays on this machine.

Shared by the provider (plain http and unverified TLS are allowed only for a loopback emulator)
and the emulator (its unauthenticated control API binds to loopback unless told otherwise). A
module of its own because neither package may need the other.
"""

from __future__ import annotations

import ipaddress

#: Names that resolve to loopback by convention (RFC 6761); other names are not trusted to.
LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IPv4/IPv6 literals; False for any other name."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
