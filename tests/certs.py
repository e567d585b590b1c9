"""Kept while branches written before the move land: the builder is ``scripts.certs``.

New code imports ``scripts.certs``; delete this module once nothing imports it.
"""

from scripts.certs import (
    ML_DSA_LEVELS,
    NOW,
    CertSpec,
    Issued,
    MLDSAPrivateKey,
    PrivateKey,
    build,
    ec_key,
    ed25519_key,
    expiring_in,
    intermediate_ca,
    leaf,
    mldsa_key,
    mldsa_root,
    name,
    root_ca,
    rsa_key,
)

__all__ = [
    "ML_DSA_LEVELS",
    "NOW",
    "CertSpec",
    "Issued",
    "MLDSAPrivateKey",
    "PrivateKey",
    "build",
    "ec_key",
    "ed25519_key",
    "expiring_in",
    "intermediate_ca",
    "leaf",
    "mldsa_key",
    "mldsa_root",
    "name",
    "root_ca",
    "rsa_key",
]
