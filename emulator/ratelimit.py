"""A sliding-window rate limiter: at most N requests per WINDOW seconds per credential."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window: float, now: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one request; ``None`` if allowed, else the whole seconds to wait (>= 1)."""
        with self._lock:
            now = self._now()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
