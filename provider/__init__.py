"""Cloudflare Custom Origin Trust Store as code: the Pulumi dynamic resource and its client.

Public names (imported lazily, so ``import provider.client`` does not load Pulumi)::

    from provider import CustomOriginTrustStore, CustomOriginTrustStoreArgs
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CustomOriginTrustStore": "provider.resource",
    "CustomOriginTrustStoreArgs": "provider.resource",
    "CustomOriginTrustStoreProvider": "provider.resource",
    "declare_trust_store": "provider.program",
    "find_ca_files": "provider.program",
    "export_entries": "provider.program",
    "TrustStoreClient": "provider.client",
    "TrustStoreError": "provider.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'provider' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
