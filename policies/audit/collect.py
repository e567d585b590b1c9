"""Read the live stores: the zones asked for (and every visible zone with ``--all-zones``),
each listed on a worker thread through one shared client.

One client serves every thread (httpx's pool is thread-safe) and every request takes a token
from the process's pacer, so concurrency shortens the wall time only down to the rate limit,
never past it. Requests: one per page of the zone listing, plus one per page of each store.
A zone that cannot be read becomes a snapshot with its error; the others are still audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from policies.audit import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from policies.audit.snapshot import LiveEntry, ZoneSnapshot
from provider.client import TrustStoreClient
from provider.errors import AcmNotEnabledError, TrustStoreError

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Collection(Generic[_T]):
    #: What ``then`` made of each zone's snapshot, in order.
    zones: tuple[_T, ...]
    #: Why ``--all-zones`` could not list the zones (then only the named zones were read).
    listing_error: str | None = None


def _read_zone(
    client: TrustStoreClient, zone_id: str, name: str | None, named: bool
) -> ZoneSnapshot:
    try:
        listed = client.list(zone_id)
    except AcmNotEnabledError as exc:
        # Most zones of an account have no trust store: only a zone asked for by name (or by a
        # stack) is an error; one found by --all-zones is reported as without one.
        if named:
            return ZoneSnapshot(zone_id, name, error=str(exc))
        return ZoneSnapshot(zone_id, name, acm_enabled=False)
    except TrustStoreError as exc:
        return ZoneSnapshot(zone_id, name, error=str(exc))
    return ZoneSnapshot(zone_id, name, tuple(LiveEntry.of(zone_id, entry) for entry in listed))


def collect(
    client: TrustStoreClient,
    zone_ids: Sequence[str],
    then: Callable[[ZoneSnapshot], _T],
    *,
    all_zones: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Collection[_T]:
    """``then`` of the snapshot of each of ``zone_ids`` (in that order), then of the other
    listed zones. ``then`` runs on the worker as soon as its zone is read, so judging one zone
    overlaps the pacing waits of the others."""
    names: dict[str, str | None] = dict.fromkeys(zone_ids)
    named = frozenset(zone_ids)
    listing_error = None
    if all_zones:
        try:
            for zone in client.list_zones():
                names[zone.id] = zone.name or None
        except TrustStoreError as exc:
            listing_error = str(exc)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, MAX_CONCURRENCY))) as pool:
        futures = [
            pool.submit(lambda z, n: then(_read_zone(client, z, n, z in named)), zone_id, name)
            for zone_id, name in names.items()
        ]
        zones = tuple(future.result() for future in futures)
    return Collection(zones, listing_error)
