"""Kept while branches written before the move land: the builder is ``scripts.certs``.

New code imports ``scripts.certs``; delete this module once nothing imports it.
"""

from scripts.certs import (
    NOW,
    CertSpec,
    Issued,
    build,
    ec_key,
    ed25519_key,
    expiring_in,
    intermediate_ca,
    leaf,
    name,
    root_ca,
    rsa_key,
)

__all__ = [
    "NOW",
    "CertSpec",
    "Issued",
    "build",
    "ec_key",
    "ed25519_key",
    "expiring_in",
    "intermediate_ca",
    "leaf",
    "name",
    "root_ca",
    "rsa_key",
]
