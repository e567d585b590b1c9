"""Errors of the resource's lifecycle, beside the client's tree in ``provider.errors``.

They are separate because they describe decisions of the dynamic resource (what to do about an
entry that already exists, how long to wait), not failures of one API call; they still derive
from ``TrustStoreError`` so one ``except TrustStoreError`` catches everything::

    TrustStoreError                     (provider.errors)
    ├── DuplicateEntryError             the zone already holds this certificate; not adopted
    └── NotActiveError                  the entry did not reach ``active`` (timeout, expired, gone)
"""

from __future__ import annotations

from typing import Any

from provider.errors import TrustStoreError


class DuplicateEntryError(TrustStoreError):
    """Cloudflare refused the upload because the zone already holds the same certificate."""

    def __init__(self, message: str, *, zone_id: str, entry_id: str) -> None:
        super().__init__(message)
        self.zone_id = zone_id
        self.entry_id = entry_id

    def _fields(self) -> dict[str, Any]:
        return {"message": self.message, "zone_id": self.zone_id, "entry_id": self.entry_id}


class NotActiveError(TrustStoreError):
    """The entry did not become ``active`` within the wait the resource was given."""

    def __init__(self, message: str, *, zone_id: str, entry_id: str, last_status: str) -> None:
        super().__init__(message)
        self.zone_id = zone_id
        self.entry_id = entry_id
        self.last_status = last_status

    def _fields(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "zone_id": self.zone_id,
            "entry_id": self.entry_id,
            "last_status": self.last_status,
        }
