"""Clocks the emulator reads. All instants are timezone-aware UTC datetimes.

The emulator never calls ``datetime.now()`` itself: it is handed a clock, and wraps it in an
:class:`OffsetClock` so that tests (and ``POST /__emulator/clock``) can move time forward to
make certificates expire or deletions complete without sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that stands still at ``start`` until moved with :meth:`advance` or :meth:`set`."""

    def __init__(self, start: dt.datetime) -> None:
        _require_aware(start)
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)

    def set(self, instant: dt.datetime) -> None:
        _require_aware(instant)
        with self._lock:
            self._now = instant


class TickingClock:
    """A clock that starts at ``start`` and then runs at real speed (monotonic)."""

    def __init__(self, start: dt.datetime) -> None:
        _require_aware(start)
        self._start = start
        self._t0 = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._t0)


class OffsetClock:
    """``base() + offset``; the offset only grows (time never runs backwards)."""

    def __init__(self, base: Clock, offset_seconds: float = 0.0) -> None:
        self._base = base
        self._offset = offset_seconds
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            offset = self._offset
        return self._base() + dt.timedelta(seconds=offset)

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset_offset(self) -> None:
        with self._lock:
            self._offset = 0.0


def rfc3339(instant: dt.datetime) -> str:
    """``2026-11-29T12:00:00Z``: UTC, whole seconds, ``Z`` suffix (Cloudflare's style)."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_precise(instant: dt.datetime) -> str:
    """Like :func:`rfc3339` with microseconds, for the request log."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _require_aware(instant: dt.datetime) -> None:
    if instant.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
