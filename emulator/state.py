"""The emulator's data and rules: zones, trust store entries, statuses, pagination. No HTTP.

Rules (each one a documented choice where the real API is silent):

* Zones exist implicitly: any zone id is usable; Advanced Certificate Manager is ON unless
  switched off per zone (control API). With it off every call fails with 1450. A zone is
  *known* (listed by ``GET /zones``, :mod:`emulator.zones`) once declared or once it holds
  an entry.
* Upload checks the certificate (:mod:`emulator.certificates`), refuses an already expired
  one (1417, OUR choice) and a duplicate — same SHA-256 DER fingerprint in the same zone, not
  being deleted — (1220, documented for custom certificates). The stored PEM ends with
  exactly one newline.
* Status is derived from timestamps and the injected clock, never from a background task:
  ``initializing`` for the first half of ``activation_delay``, then ``pending_deployment``
  until ``activation_delay`` has passed, then ``active``; ``expired`` once ``expires_on`` has
  passed. With ``activation_delay == 0`` (the default) an upload is ``active`` at once.
* Delete is asynchronous: with ``deletion_delay > 0`` the entry shows ``pending_deletion``
  for the first half of the delay and ``deleted`` for the second half, then it is gone (404).
  With ``deletion_delay == 0`` (the default) it is gone at once. Deleting an entry that is
  already being deleted answers success again with its id (idempotent; OUR choice).
* ``updated_at`` is the instant of the entry's latest status change.
* Lists are in upload order. ``offset`` skips entries, ``limit`` caps how many remain, then
  ``page``/``per_page`` paginate what is left; ``result_info.total_count`` counts what is left
  after offset/limit (OUR choice). A page past the end is an empty list (the official SDK
  stops auto-paging on an empty page).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import threading
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator import errors
from emulator.certificates import parse_upload
from emulator.clock import Clock, rfc3339
from emulator.paging import Page
from emulator.zones import Zone, default_name

PER_PAGE_DEFAULT = 20
PER_PAGE_MIN = 5
PER_PAGE_MAX = 50

STATUSES = (
    "initializing",
    "pending_deployment",
    "active",
    "pending_deletion",
    "deleted",
    "expired",
)


@dataclass
class Entry:
    id: str
    zone_id: str
    seq: int
    certificate: str
    fingerprint: str
    issuer: str
    signature: str
    expires_on: dt.datetime
    uploaded_on: dt.datetime
    pending_deployment_at: dt.datetime
    active_at: dt.datetime
    deletion_requested_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None  # "deleted" status from here on
    gone_at: dt.datetime | None = None  # purged (404) from here on

    def status(self, now: dt.datetime) -> str:
        if self.deletion_requested_at is not None:
            if self.deleted_at is not None and now >= self.deleted_at:
                return "deleted"
            return "pending_deletion"
        if now >= self.expires_on:
            return "expired"
        if now < self.pending_deployment_at:
            return "initializing"
        if now < self.active_at:
            return "pending_deployment"
        return "active"

    def updated_at(self, now: dt.datetime) -> dt.datetime:
        changes = [self.uploaded_on, self.pending_deployment_at, self.active_at]
        if self.deletion_requested_at is not None:
            changes.append(self.deletion_requested_at)
            if self.deleted_at is not None:
                changes.append(self.deleted_at)
        elif now >= self.expires_on:
            changes.append(self.expires_on)
        return max((t for t in changes if t <= now), default=self.uploaded_on)

    def to_api(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "certificate": self.certificate,
            "expires_on": rfc3339(self.expires_on),
            "issuer": self.issuer,
            "signature": self.signature,
            "status": self.status(now),
            "updated_at": rfc3339(self.updated_at(now)),
            "uploaded_on": rfc3339(self.uploaded_on),
        }


class StoreFileError(Exception):
    """The ``--db`` file cannot be used; the file was left as it was."""


@dataclass
class Store:
    """All zones and entries, guarded by one lock, optionally persisted to SQLite."""

    clock: Clock
    activation_delay: float = 0.0
    deletion_delay: float = 0.0
    db_path: str | None = None
    _entries: dict[str, Entry] = field(default_factory=dict, init=False)
    _zones: dict[str, Zone] = field(default_factory=dict, init=False)
    _seq: int = field(default=0, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)
    _db: _Database | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.activation_delay < 0 or self.deletion_delay < 0:
            raise ValueError("delays must be >= 0")
        if self.db_path:
            check_database_file(self.db_path)
            try:
                self._db = _Database(self.db_path)
                self._entries, self._zones, self._seq = self._db.load(self.clock())
            except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
                self.close()
                raise StoreFileError(
                    f"{self.db_path}: its stored state cannot be read ({exc}); give another"
                    " --db path, or remove that file to start empty"
                ) from None

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def reset(self) -> None:
        with self._lock, self._tx() as db:
            if db is not None:
                db.clear()
            self._entries.clear()
            self._zones.clear()
            self._seq = 0

    def meta(self, key: str) -> str | None:
        with self._lock:
            return self._db.get_meta(key) if self._db is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._tx() as db:
            if db is not None:
                db.set_meta(key, value)

    # -- zones -------------------------------------------------------------------------------
    def declare_zone(self, zone_id: str, name: str | None = None) -> Zone:
        """Make a zone known (a new one is named :func:`emulator.zones.default_name` unless
        ``name`` is given; ``name`` renames a known one)."""
        with self._lock:
            zone = self._zones.get(zone_id)
            if zone is None:
                zone = Zone(zone_id, name or default_name(zone_id), self.clock())
            elif name is not None:
                zone = dataclasses.replace(zone, name=name)
            else:
                return zone
            self._save_zone(zone)
            return zone

    def set_acm_enabled(self, zone_id: str, enabled: bool) -> None:
        with self._lock:
            zone = self.declare_zone(zone_id)
            self._save_zone(dataclasses.replace(zone, acm_enabled=enabled))

    def zone(self, zone_id: str) -> Zone | None:
        with self._lock:
            return self._zones.get(zone_id)

    def zones(self) -> list[Zone]:
        """Every known zone."""
        with self._lock:
            return list(self._zones.values())

    def _save_zone(self, zone: Zone) -> None:
        with self._lock, self._tx() as db:
            if db is not None:
                db.save_zone(zone)
            self._zones[zone.id] = zone

    def acm_enabled(self, zone_id: str) -> bool:
        with self._lock:
            zone = self._zones.get(zone_id)
            return True if zone is None else zone.acm_enabled

    def require_acm(self, zone_id: str) -> None:
        if not self.acm_enabled(zone_id):
            raise errors.acm_disabled(zone_id)

    # -- entries -----------------------------------------------------------------------------
    def upload(self, zone_id: str, certificate: str) -> dict[str, Any]:
        self.require_acm(zone_id)
        parsed = parse_upload(certificate)
        with self._lock:
            now = self.clock()
            self._purge(now)
            if now >= parsed.expires_on:
                raise errors.certificate_expired(rfc3339(parsed.expires_on))
            for other in self._entries.values():
                if (
                    other.zone_id == zone_id
                    and other.fingerprint == parsed.fingerprint_sha256
                    and other.deletion_requested_at is None
                ):
                    raise errors.duplicate_certificate(other.id)
            delay = dt.timedelta(seconds=self.activation_delay)
            entry = Entry(
                id=uuid.uuid4().hex,
                zone_id=zone_id,
                seq=self._seq + 1,
                certificate=parsed.pem,
                fingerprint=parsed.fingerprint_sha256,
                issuer=parsed.issuer,
                signature=parsed.signature,
                expires_on=parsed.expires_on,
                uploaded_on=now,
                pending_deployment_at=now + delay / 2,
                active_at=now + delay,
            )
            new_zone = None if zone_id in self._zones else Zone(zone_id, default_name(zone_id), now)
            with self._tx() as db:
                if db is not None:
                    if new_zone is not None:
                        db.save_zone(new_zone)
                    db.save_entry(entry)
                if new_zone is not None:
                    self._zones[zone_id] = new_zone
                self._seq = entry.seq
                self._entries[entry.id] = entry
            return entry.to_api(now)

    def get(self, zone_id: str, entry_id: str) -> dict[str, Any]:
        self.require_acm(zone_id)
        with self._lock:
            now = self.clock()
            self._purge(now)
            return self._find(zone_id, entry_id).to_api(now)

    def delete(self, zone_id: str, entry_id: str) -> dict[str, str]:
        self.require_acm(zone_id)
        with self._lock:
            now = self.clock()
            self._purge(now)
            entry = self._find(zone_id, entry_id)
            if entry.deletion_requested_at is not None:
                return {"id": entry.id}
            with self._tx() as db:
                if self.deletion_delay <= 0:
                    if db is not None:
                        db.delete_entry(entry.id)
                    del self._entries[entry.id]
                else:
                    delay = dt.timedelta(seconds=self.deletion_delay)
                    deleting = dataclasses.replace(
                        entry,
                        deletion_requested_at=now,
                        deleted_at=now + delay / 2,
                        gone_at=now + delay,
                    )
                    if db is not None:
                        db.save_entry(deleting)
                    self._entries[entry.id] = deleting
            return {"id": entry.id}

    def list_page(
        self,
        zone_id: str,
        *,
        page: int = 1,
        per_page: int = PER_PAGE_DEFAULT,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page:
        self.require_acm(zone_id)
        if page < 1:
            raise errors.invalid_query("page must be an integer >= 1")
        if not PER_PAGE_MIN <= per_page <= PER_PAGE_MAX:
            raise errors.invalid_query(
                f"per_page must be an integer between {PER_PAGE_MIN} and {PER_PAGE_MAX}"
            )
        if limit is not None and limit < 0:
            raise errors.invalid_query("limit must be an integer >= 0")
        if offset is not None and offset < 0:
            raise errors.invalid_query("offset must be an integer >= 0")
        with self._lock:
            now = self.clock()
            self._purge(now)
            rows = sorted(
                (e for e in self._entries.values() if e.zone_id == zone_id), key=lambda e: e.seq
            )
            if offset:
                rows = rows[offset:]
            if limit is not None:
                rows = rows[:limit]
            start = (page - 1) * per_page
            chosen = rows[start : start + per_page]
            return Page(
                items=[e.to_api(now) for e in chosen],
                page=page,
                per_page=per_page,
                total_count=len(rows),
            )

    def entries(self) -> list[Entry]:
        """Every stored entry (all zones), in upload order — for tests and the control API."""
        with self._lock:
            self._purge(self.clock())
            return sorted(self._entries.values(), key=lambda e: e.seq)

    # -- internals ---------------------------------------------------------------------------
    def _find(self, zone_id: str, entry_id: str) -> Entry:
        entry = self._entries.get(entry_id)
        if entry is None or entry.zone_id != zone_id:
            raise errors.not_found(entry_id)
        return entry

    def _purge(self, now: dt.datetime) -> None:
        gone = [e.id for e in self._entries.values() if e.gone_at is not None and now >= e.gone_at]
        if not gone:
            return
        with self._tx() as db:
            if db is not None:
                for entry_id in gone:
                    db.delete_entry(entry_id)
            for entry_id in gone:
                del self._entries[entry_id]

    @contextmanager
    def _tx(self) -> Iterator[_Database | None]:
        """One SQLite transaction (when persisting) around an in-memory change.

        Callers write to the database first and change memory last, inside the block: if a
        database write fails, the transaction rolls back and memory is untouched.
        """
        if self._db is None:
            yield None
            return
        with self._db.transaction():
            yield self._db


_SQLITE_HEADER = b"SQLite format 3\x00"
#: Our tables and the columns each must have (``zones.name``/``created_on`` came later).
_TABLES = {
    "entries": {"id", "zone_id", "seq", "body"},
    "zones": {"zone_id", "acm_enabled"},
    "meta": {"key", "value"},
}


def check_database_file(path: str) -> None:
    """Refuse, without writing anything, a ``--db`` path the emulator cannot use: a missing
    folder, something other than a regular file, a file that is not SQLite, a corrupt one, or
    another program's database. A missing or empty file is fine (a new store)."""
    file = Path(path)
    if not file.parent.is_dir():
        raise StoreFileError(f"{path}: the folder {file.parent} does not exist; create it first")
    if not file.exists():
        return
    if not file.is_file():
        raise StoreFileError(f"{path}: not a regular file; give the path of a database file")
    with file.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if not header:
        return
    if header != _SQLITE_HEADER:
        raise StoreFileError(
            f"{path}: not an SQLite database (left untouched); give the emulator's own"
            " database file, or a new path"
        )
    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
        try:
            (check,) = conn.execute("PRAGMA quick_check").fetchone()
            tables = {
                name: {row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")}
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%'"
                )
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreFileError(
            f"{path}: unreadable SQLite database ({exc}); left untouched"
        ) from None
    if check != "ok":
        raise StoreFileError(f"{path}: the SQLite database is corrupt ({check}); left untouched")
    foreign = sorted(
        name for name, columns in tables.items() if not _TABLES.get(name, {""}) <= columns
    )
    if foreign:
        raise StoreFileError(
            f"{path}: another program's database (tables {', '.join(foreign)}); left"
            " untouched: give the emulator's own database file, or a new path"
        )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    zone_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS zones (zone_id TEXT PRIMARY KEY, acm_enabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_TIME_FIELDS = (
    "expires_on",
    "uploaded_on",
    "pending_deployment_at",
    "active_at",
    "deletion_requested_at",
    "deleted_at",
    "gone_at",
)


class _Database:
    """One SQLite connection used under the store's lock; each change is one transaction."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(zones)")}
        for column in ("name", "created_on"):  # files written before zones had them
            if column not in columns:
                self._conn.execute(f"ALTER TABLE zones ADD COLUMN {column} TEXT")
        self._depth = 0

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    def load(self, now: dt.datetime) -> tuple[dict[str, Entry], dict[str, Zone], int]:
        entries: dict[str, Entry] = {}
        for (body,) in self._conn.execute("SELECT body FROM entries ORDER BY seq"):
            entry = _entry_from_json(json.loads(body))
            entries[entry.id] = entry
        zones = {
            zone_id: Zone(
                zone_id,
                name or default_name(zone_id),
                dt.datetime.fromisoformat(created_on) if created_on else now,
                acm_enabled=bool(flag),
            )
            for zone_id, flag, name, created_on in self._conn.execute(
                "SELECT zone_id, acm_enabled, name, created_on FROM zones"
            )
        }
        for entry in entries.values():  # zones of entries stored before zones were recorded
            if entry.zone_id not in zones:
                zones[entry.zone_id] = Zone(entry.zone_id, default_name(entry.zone_id), now)
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        seq = max([int(row[0]) if row else 0, *(e.seq for e in entries.values())])
        return entries, zones, seq

    def save_entry(self, entry: Entry) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO entries (id, zone_id, seq, body) VALUES (?, ?, ?, ?)",
            (entry.id, entry.zone_id, entry.seq, json.dumps(_entry_to_json(entry))),
        )
        self._conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (str(entry.seq),)
        )

    def delete_entry(self, entry_id: str) -> None:
        self._conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))

    def save_zone(self, zone: Zone) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO zones (zone_id, acm_enabled, name, created_on)"
            " VALUES (?, ?, ?, ?)",
            (zone.id, int(zone.acm_enabled), zone.name, zone.created_on.isoformat()),
        )

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def clear(self) -> None:
        self._conn.execute("DELETE FROM entries")
        self._conn.execute("DELETE FROM zones")
        self._conn.execute("DELETE FROM meta")


def _entry_to_json(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "zone_id": entry.zone_id,
        "seq": entry.seq,
        "certificate": entry.certificate,
        "fingerprint": entry.fingerprint,
        "issuer": entry.issuer,
        "signature": entry.signature,
    }
    for name in _TIME_FIELDS:
        value = getattr(entry, name)
        data[name] = None if value is None else value.isoformat()
    return data


def _entry_from_json(data: Mapping[str, Any]) -> Entry:
    times = {
        name: None if data.get(name) is None else dt.datetime.fromisoformat(data[name])
        for name in _TIME_FIELDS
    }
    return Entry(
        id=data["id"],
        zone_id=data["zone_id"],
        seq=int(data["seq"]),
        certificate=data["certificate"],
        fingerprint=data["fingerprint"],
        issuer=data["issuer"],
        signature=data["signature"],
        **times,  # type: ignore[arg-type]
    )
