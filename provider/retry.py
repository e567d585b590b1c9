"""How long to wait between attempts, and when to stop; tenacity runs the loop.

``RetryPolicy.retrying`` builds a ``tenacity.Retrying`` that retries only ``RetryableFailure``
(raised by one client attempt), waits what the failure's ``Retry-After`` asks (capped) or an
exponential backoff with jitter, and stops on whichever bound comes first: ``max_attempts``,
or ``max_elapsed`` seconds of working and waiting, checked *before* sleeping (a single attempt
is further bounded by the client's HTTP timeouts).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import tenacity

from provider.errors import ApiError, ConfigurationError, TransportError

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


class RetryableFailure(Exception):
    """One attempt failed in a way worth another; carries the error to raise if none is left."""

    def __init__(
        self, error: ApiError | TransportError, *, retry_after: float | None, maybe_applied: bool
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after
        #: The request may have reached Cloudflare and taken effect.
        self.maybe_applied = maybe_applied


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

    def retrying(
        self, before_sleep: Callable[[tenacity.RetryCallState], None]
    ) -> tenacity.Retrying:
        """A fresh loop for one call: retries ``RetryableFailure`` only, re-raises the last."""
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableFailure),
            wait=self._wait,
            stop=(
                tenacity.stop_after_attempt(self.max_attempts)
                | tenacity.stop_before_delay(self.max_elapsed)
            ),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        retry_after = failure.retry_after if isinstance(failure, RetryableFailure) else None
        return self.delay_before(state.attempt_number, retry_after)


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
