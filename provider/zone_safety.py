"""What a delete or an upload may do to a zone: never empty it, never race, never orphan.

A provider process serves one Pulumi run, and the engine runs independent steps in parallel.
Three facts are kept per process, at module level (the provider object is pickled into state,
so it must hold no lock or registry itself):

* **Zone locks.** Deletes of one zone take turns, and each re-lists the zone under the lock,
  so two parallel deletes cannot both see "another CA remains" and together empty the zone.
* **Claims.** Entry ids that a resource *kept* in this run holds (diff found no replacement,
  or a create/update returned it). A delete of an entry another kept resource claims is a
  hand-over, not a deletion: the entry stays. Adoption of a claimed entry is refused. The
  engine diffs every declared resource while the program runs and performs deletes (of
  removed and replaced resources) after it, so claims are known before any delete.
* **Usable.** An entry counts for a zone while Cloudflare serves or is deploying it and it has
  not expired: ``initializing``, ``pending_deployment`` or ``active``, and ``expires_on`` in the
  future. ``pending_deletion``, ``deleted`` and ``expired`` never count.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from policies.trust_rules.resource_type import LEAVING_STATUSES, EntryStatus
from provider.entries import TrustStoreEntry

USABLE_STATUSES = frozenset(
    {EntryStatus.INITIALIZING, EntryStatus.PENDING_DEPLOYMENT, EntryStatus.ACTIVE}
)

_locks_guard = threading.Lock()
_zone_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_claims_guard = threading.Lock()
_claims: set[tuple[str, str]] = set()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_usable(entry: TrustStoreEntry, now: dt.datetime) -> bool:
    """Whether the entry serves (or is about to serve) its zone at ``now``."""
    return entry.status in USABLE_STATUSES and entry.expires_on > now


def is_active(entry: TrustStoreEntry, now: dt.datetime) -> bool:
    return entry.status == EntryStatus.ACTIVE and entry.expires_on > now


@contextmanager
def zone_lock(zone_id: str) -> Iterator[None]:
    """Hold the zone's lock: one delete of a zone at a time in this process."""
    with _locks_guard:
        lock = _zone_locks[zone_id.lower()]
    with lock:
        yield


def claim(zone_id: str, entry_id: str) -> None:
    """Record that a resource kept in this run holds ``entry_id``."""
    with _claims_guard:
        _claims.add((zone_id.lower(), entry_id.lower()))


def is_claimed(zone_id: str, entry_id: str) -> bool:
    with _claims_guard:
        return (zone_id.lower(), entry_id.lower()) in _claims


def forget_claims() -> None:
    """Start afresh (tests run many "runs" in one process)."""
    with _claims_guard:
        _claims.clear()


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting ``target`` does to its zone, judged on one listing."""

    target: TrustStoreEntry | None
    #: The zone would keep no usable CA although ``target`` is one.
    empties_zone: bool
    #: ``target`` is the zone's last active CA while successors are still deploying.
    successors_deploying: tuple[TrustStoreEntry, ...]


def plan_deletion(
    entries: Sequence[TrustStoreEntry], entry_id: str, now: dt.datetime
) -> DeletionPlan:
    """Judge a delete of ``entry_id`` against the zone's ``entries``."""
    target = next((e for e in entries if e.id == entry_id.lower()), None)
    if target is None or target.status in LEAVING_STATUSES:
        return DeletionPlan(None, empties_zone=False, successors_deploying=())
    others = [e for e in entries if e.id != target.id]
    usable_others = [e for e in others if is_usable(e, now)]
    empties = is_usable(target, now) and not usable_others
    waiting: tuple[TrustStoreEntry, ...] = ()
    if is_active(target, now) and not any(is_active(e, now) for e in others):
        waiting = tuple(usable_others)
    return DeletionPlan(target, empties_zone=empties, successors_deploying=waiting)
