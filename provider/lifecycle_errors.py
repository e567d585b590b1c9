"""Errors of the resource's lifecycle, beside the client's tree in ``provider.errors``.

They are separate because they describe decisions of the dynamic resource (what to do about an
entry that already exists, how long to wait), not failures of one API call; they still derive
from ``TrustStoreError`` so one ``except TrustStoreError`` catches everything::

    TrustStoreError                     (provider.errors)
    ├── DuplicateEntryError             the zone already holds this certificate; not adopted
    │   └── EntryClaimedError           ... and another resource of this stack manages it
    ├── NotActiveError                  the entry did not reach ``active`` (timeout, expired, gone)
    ├── EmptyZoneError                  a delete would leave the zone without a usable CA
    └── DeletionPendingError            the same CA's old entry is still being deleted
"""

from __future__ import annotations

from typing import Any

from provider.errors import TrustStoreError


class _EntryError(TrustStoreError):
    """A decision about one entry of one zone."""

    def __init__(self, message: str, *, zone_id: str, entry_id: str) -> None:
        super().__init__(message)
        self.zone_id = zone_id
        self.entry_id = entry_id

    def _fields(self) -> dict[str, Any]:
        return {"message": self.message, "zone_id": self.zone_id, "entry_id": self.entry_id}


class DuplicateEntryError(_EntryError):
    """Cloudflare refused the upload because the zone already holds the same certificate."""


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


class EntryClaimedError(DuplicateEntryError):
    """Adoption refused: another resource of the same stack manages the entry."""


class EmptyZoneError(_EntryError):
    """A delete refused: it would leave the zone with no usable CA (see ``allowEmptyZone``)."""


class DeletionPendingError(_EntryError):
    """An upload refused while the zone's earlier entry of the same CA is still being deleted,
    and that deletion did not finish within the wait."""
