"""How long to wait between attempts, and when to stop.

A hand-written loop in the client uses this policy rather than tenacity: each decision depends
on what the attempt saw (Retry-After, whether the request may have reached Cloudflare), and
upload must reconcile before it retries; plain data plus two functions keep that readable.
Every loop is bounded twice: by ``max_attempts`` and by ``max_elapsed`` seconds of waiting and
working (a single attempt is further bounded by the client's HTTP timeouts).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
from dataclasses import dataclass

from provider.errors import ConfigurationError

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_INITIAL_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 8.0
#: Longest Retry-After honoured, as the official SDK does; longer requests are capped.
DEFAULT_MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_ELAPSED = 180.0
#: Backoff is drawn uniformly from [(1 - jitter) * b, b] so parallel clients spread out.
DEFAULT_JITTER = 0.5

#: HTTP statuses worth another attempt: request timeout, rate limit, and server failures.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and pacing of retries; tests pass tiny delays, production keeps the defaults."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    initial_backoff: float = DEFAULT_INITIAL_BACKOFF
    max_backoff: float = DEFAULT_MAX_BACKOFF
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_elapsed: float = DEFAULT_MAX_ELAPSED
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("RetryPolicy.max_attempts must be at least 1.")
        for name in ("initial_backoff", "max_backoff", "max_retry_after", "max_elapsed"):
            value: float = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"RetryPolicy.{name} must be a finite number >= 0.")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError("RetryPolicy.jitter must be between 0 and 1.")

    def delay_before(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.max_backoff, self.initial_backoff * 2.0 ** (retry_number - 1))
        return backoff * (1 - self.jitter * random.random())  # noqa: S311 - jitter, not crypto

    def allows_retry(self, attempts_made: int, elapsed: float, delay: float) -> bool:
        """Whether one more attempt fits both the attempt count and the time budget."""
        return attempts_made < self.max_attempts and elapsed + delay <= self.max_elapsed


NO_RETRIES = RetryPolicy(max_attempts=1)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
