"""Waiting, boundedly, until a new entry is ``active``.

Cloudflare deploys an uploaded CA to its edge asynchronously (``initializing`` ->
``pending_deployment`` -> ``active``). Waiting after a create is opt-in (``waitForActive``): by
default a create returns after its one POST. ``provider.zone_safety`` polls with the same
bounds (a successor becoming active, an old entry's deletion completing). Every wait is
bounded by time *and* by number of polls; the clock and sleep are passed in so tests need not
sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from provider.client import EntryStatus, TrustStoreEntry
from provider.errors import NotActiveError, NotFoundError

#: Seconds between polls: Cloudflare's deployment takes seconds to minutes.
DEFAULT_POLL_INTERVAL = 2.0

#: States from which an entry never becomes active.
_HOPELESS = frozenset({EntryStatus.EXPIRED, EntryStatus.PENDING_DELETION, EntryStatus.DELETED})


def poll_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Call ``condition`` until it is true (``True``), or ``timeout`` seconds and as many polls
    have passed (``False``); the first call is immediate."""
    deadline = monotonic() + timeout
    max_polls = math.ceil(timeout / poll_interval) + 1 if poll_interval > 0 else 1
    polls = 0
    while not condition():
        remaining = deadline - monotonic()
        if remaining <= 0 or polls >= max_polls:
            return False
        sleep(min(poll_interval, remaining))
        polls += 1
    return True


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
    latest = [entry]
    fetched = [False]

    def active() -> bool:
        if fetched[0]:
            try:
                latest[0] = fetch()
            except NotFoundError:
                raise _not_active(latest[0], zone_id, "it disappeared while waiting") from None
        fetched[0] = True
        status = latest[0].status
        if status in _HOPELESS:
            raise _not_active(latest[0], zone_id, f"it is {status}, so it never will be")
        return status == EntryStatus.ACTIVE

    if poll_until(
        active, timeout=timeout, poll_interval=poll_interval, monotonic=monotonic, sleep=sleep
    ):
        return latest[0]
    raise _not_active(
        latest[0],
        zone_id,
        f"it was still {latest[0].status} after {timeout:g} s; raise activeTimeoutSeconds,"
        " or set waitForActive to false and check its status later with `pulumi refresh`",
    )


def _not_active(entry: TrustStoreEntry, zone_id: str, why: str) -> NotActiveError:
    return NotActiveError(
        f"Trust store entry {entry.id} in zone {zone_id} did not become active: {why}.",
        zone_id=zone_id,
        entry_id=entry.id,
        last_status=str(entry.status),
    )
