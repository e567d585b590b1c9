"""Waiting, boundedly, until a new entry is ``active``.

Cloudflare deploys an uploaded CA to its edge asynchronously (``initializing`` ->
``pending_deployment`` -> ``active``). Waiting is opt-in (``waitForActive``): by default a
create returns after its one POST. Every wait is bounded by time *and* by number of polls;
the clock and sleep are passed in so tests need not sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from provider.client import EntryStatus, TrustStoreEntry
from provider.errors import NotFoundError
from provider.lifecycle_errors import NotActiveError

#: Seconds between polls: Cloudflare's deployment takes seconds to minutes.
DEFAULT_POLL_INTERVAL = 2.0

#: States from which an entry never becomes active.
_HOPELESS = frozenset({EntryStatus.EXPIRED, EntryStatus.PENDING_DELETION, EntryStatus.DELETED})


def wait_until_active(
    fetch: Callable[[], TrustStoreEntry],
    entry: TrustStoreEntry,
    *,
    zone_id: str,
    timeout: float,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TrustStoreEntry:
    """Poll ``fetch`` until the entry is active; ``NotActiveError`` if it cannot or does not."""
    deadline = monotonic() + timeout
    max_polls = math.ceil(timeout / poll_interval) + 1 if poll_interval > 0 else 1
    polls = 0
    while entry.status != EntryStatus.ACTIVE:
        if entry.status in _HOPELESS:
            raise _not_active(entry, zone_id, f"it is {entry.status}, so it never will be")
        remaining = deadline - monotonic()
        if remaining <= 0 or polls >= max_polls:
            raise _not_active(
                entry,
                zone_id,
                f"it was still {entry.status} after {timeout:g} s; raise activeTimeoutSeconds,"
                " or set waitForActive to false and check its status later with"
                " `pulumi refresh`",
            )
        sleep(min(poll_interval, remaining))
        polls += 1
        try:
            entry = fetch()
        except NotFoundError:
            raise _not_active(entry, zone_id, "it disappeared while waiting") from None
    return entry


def _not_active(entry: TrustStoreEntry, zone_id: str, why: str) -> NotActiveError:
    return NotActiveError(
        f"Trust store entry {entry.id} in zone {zone_id} did not become active: {why}.",
        zone_id=zone_id,
        entry_id=entry.id,
        last_status=str(entry.status),
    )
