"""The trust-store resource as Pulumi state records it: type tokens, property names, statuses.

The dynamic provider writes these and the policy pack reads them; a published pack carries only
the ``policies`` folder, so the single definition lives here and ``provider`` imports it.
"""

from __future__ import annotations

import enum

#: ``pulumi-python:dynamic/<module>:<name>``: the engine builds the dynamic type from these two.
DYNAMIC_MODULE = "cloudflare"
DYNAMIC_NAME = "CustomOriginTrustStore"
DYNAMIC_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:{DYNAMIC_NAME}"
#: The official pulumi-cloudflare resource, whose entries the pack checks just the same.
OFFICIAL_TYPE = "cloudflare:index/customOriginTrustStore:CustomOriginTrustStore"
#: The two resource types that are trust-store entries; every other type is ignored.
TRUST_STORE_TYPES = frozenset({DYNAMIC_TYPE, OFFICIAL_TYPE})

# Properties both resource types carry, named as the official provider names them.
ZONE_ID = "zoneId"
CERTIFICATE = "certificate"
#: Output: Cloudflare's status of the entry (an ``EntryStatus`` value).
STATUS = "status"
#: Output, present once the entry exists in Cloudflare.
UPLOADED_ON = "uploadedOn"
#: Set by the dynamic provider's check, never by the user: this resource already holds this
#: certificate in this zone (the engine passed it as the old inputs). The policy pack refuses
#: near-expiry CAs only when a deployment adds them, and reports ones already deployed without
#: blocking their fix.
ALREADY_DEPLOYED = "alreadyDeployed"


class EntryStatus(enum.StrEnum):
    """Lifecycle of a trust store entry, as documented by Cloudflare.

    ``TrustStoreEntry.status`` is one of these, or the plain string Cloudflare sent when it is
    a status added after this client was written: a new status must not break every call.
    Members compare equal to their strings, so ``entry.status == "active"`` works for both.
    """

    INITIALIZING = "initializing"
    PENDING_DEPLOYMENT = "pending_deployment"
    ACTIVE = "active"
    PENDING_DELETION = "pending_deletion"
    DELETED = "deleted"
    EXPIRED = "expired"


#: Statuses of an entry on its way out: it no longer counts as present in the zone.
LEAVING_STATUSES = frozenset({EntryStatus.PENDING_DELETION, EntryStatus.DELETED})
#: Statuses of an entry that does not serve its zone: on its way out, or expired.
UNUSABLE_STATUSES = LEAVING_STATUSES | {EntryStatus.EXPIRED}
