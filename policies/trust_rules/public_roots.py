"""Cloudflare's public trust store, as a stand-in: the Mozilla roots that ``certifi`` ships.

When a zone keeps no CA of its own, Cloudflare authenticates origins against publicly trusted
CAs. Cloudflare does not publish that list; certifi is the Mozilla CA Certificate Program's list,
released whenever Mozilla's changes and used by requests, httpx and pip, so it is the closest
well-kept public source (public trust stores are built from the same root programs). Loaded
once per process.
"""

from __future__ import annotations

import functools
import warnings

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning


@functools.cache
def public_roots() -> tuple[x509.Certificate, ...]:
    """The public root CAs (certifi's bundle), parsed once."""
    import certifi

    with open(certifi.where(), "rb") as bundle:
        data = bundle.read()
    with warnings.catch_warnings():
        # A few long-lived public roots carry a non-positive serial; they are still roots.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return tuple(x509.load_pem_x509_certificates(data))
