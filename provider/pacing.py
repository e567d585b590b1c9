"""Client-side pacing below Cloudflare's rate limit, so that a big ``up`` or audit never storms.

Cloudflare allows 1,200 requests per 5 minutes per user, across every zone, and answers 429
beyond it. A first ``up`` of thousands of entries, or an audit of a thousand zones, runs its
calls on many threads of one process, so the pacing is one token bucket per process that every
``TrustStoreClient`` built in that process shares (``process_pacer``).

The bucket holds ``burst`` tokens and refills at ``(requests - burst) / seconds`` per second, so
no window of ``seconds`` ever sees more than ``requests`` calls from this process. The default
keeps 5 % of Cloudflare's limit spare for clocks that disagree and for other tools using the
same token. A 429 still happens when something else spends the budget: then the bucket pauses
every caller for the answer's ``Retry-After``, halves its rate, and wins the rate back a step per
successful call.

Configure it with ``CLOUDFLARE_RATE_LIMIT`` (or the stack's ``rateLimit``): ``N`` requests per
5 minutes, ``N/S`` requests per ``S`` seconds, or ``off``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from provider.errors import ConfigurationError

#: The environment variable read by ``process_pacer`` (as the provider's other CLOUDFLARE_*).
ENV_RATE_LIMIT = "CLOUDFLARE_RATE_LIMIT"
#: The stack config key (project namespace) read by the provider's ``configure``; wins over
#: the environment.
CONFIG_RATE_LIMIT = "rateLimit"
#: Cloudflare's documented global limit: 1,200 requests per 5 minutes per user.
CLOUDFLARE_LIMIT_REQUESTS = 1200
CLOUDFLARE_LIMIT_SECONDS = 300.0
#: Share of a configured limit the bucket uses; the rest absorbs clock skew and other tools.
DEFAULT_SHARE = 0.95
#: Waits at least this long are reported to the caller's ``on_wait`` (shorter ones are noise).
REPORTED_WAIT_SECONDS = 1.0
#: After a 429 the rate never drops below this fraction of the configured rate.
MIN_RATE_FRACTION = 1 / 16
#: Successful calls needed to win back the configured rate after one halving.
RECOVERY_CALLS = 20

_FORMS = "N (requests per 5 minutes), N/S (requests per S seconds), or 'off'"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A limit as users state it: ``requests`` per ``seconds``."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


CLOUDFLARE_LIMIT = RateLimit(CLOUDFLARE_LIMIT_REQUESTS, CLOUDFLARE_LIMIT_SECONDS)


def parse_rate_limit(text: str, *, source: str = ENV_RATE_LIMIT) -> RateLimit | None:
    """``RateLimit`` from ``N``, ``N/S`` or ``off`` (``None``: no pacing); ``source`` names the
    setting in the error, so the user knows which one to fix."""
    value = text.strip().lower()
    if value in {"off", "none", "0"}:
        return None
    requests_text, _, seconds_text = value.partition("/")
    try:
        requests = int(requests_text)
        seconds = (
            float(seconds_text.removesuffix("s")) if seconds_text else CLOUDFLARE_LIMIT_SECONDS
        )
    except ValueError:
        requests, seconds = 0, math.nan
    if not (0 < requests <= 1_000_000 and math.isfinite(seconds) and 0 < seconds <= 86_400):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ConfigurationError(
            f"{source} is {shown!r}, which is not a rate limit: write {_FORMS}"
            f" (Cloudflare's own limit is {CLOUDFLARE_LIMIT_REQUESTS}/300)."
        )
    return RateLimit(requests, seconds)


class Pacer:
    """A thread-safe token bucket with an adaptive rate; ``acquire`` before each request.

    Callers reserve a token under the lock and sleep outside it, so waiting threads leave in
    the order they came and a wait never blocks the bookkeeping of others.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        share: float = DEFAULT_SHARE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < share <= 1:
            raise ConfigurationError("The pacer's share of the limit must be in (0, 1].")
        budget = max(1.0, math.floor(limit.requests * share))
        self.limit = limit
        self.burst = max(1.0, min(budget / 2, math.floor(budget / 20)))
        self.rate = (
            (budget - self.burst) / limit.seconds if budget > self.burst else budget / limit.seconds
        )
        self._full_rate = self.rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()
        self._paused_until = 0.0
        self.waited = 0.0  # total seconds callers slept here; benchmarks and tests read it
        self.slowdowns = 0

    def __repr__(self) -> str:
        return f"Pacer(limit={self.limit}, rate={self.rate:.3f}/s, burst={self.burst:g})"

    def acquire(self, on_wait: Callable[[float], None] | None = None) -> float:
        """Take one token, sleeping as long as the bucket asks; the seconds slept.

        ``on_wait`` hears the wait first when it is long enough to be worth saying, so a
        waiting resource can tell the user why it is not moving.
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens -= 1
            wait = max(-self._tokens / self.rate, self._paused_until - now, 0.0)
            self.waited += wait
        if wait > 0:
            if on_wait is not None and wait >= REPORTED_WAIT_SECONDS:
                on_wait(wait)
            self._sleep(wait)
        return wait

    def slow_down(self, retry_after: float | None) -> None:
        """A 429 came back: pause everyone for ``retry_after`` and halve the rate."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self.slowdowns += 1
            self.rate = max(self.rate / 2, self._full_rate * MIN_RATE_FRACTION)
            self._tokens = min(self._tokens, 0.0)
            if retry_after is not None and retry_after > 0:
                self._paused_until = max(self._paused_until, now + retry_after)

    def record_success(self) -> None:
        """A call went through: win back a step of the configured rate."""
        with self._lock:
            if self.rate < self._full_rate:
                self.rate = min(self._full_rate, self.rate + self._full_rate / RECOVERY_CALLS)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now


_process_lock = threading.Lock()
_process_pacer: Pacer | None = None
_process_configured = False


def process_pacer(environ: Mapping[str, str] | None = None) -> Pacer | None:
    """The pacer every client of this process shares (``None`` when pacing is off).

    Built on first use from ``CLOUDFLARE_RATE_LIMIT``, else Cloudflare's limit; a stack's
    ``rateLimit`` set through ``configure_process_pacer`` wins over the environment.
    """
    global _process_pacer, _process_configured
    with _process_lock:
        if not _process_configured:
            env = os.environ if environ is None else environ
            text = env.get(ENV_RATE_LIMIT, "").strip()
            limit = parse_rate_limit(text) if text else CLOUDFLARE_LIMIT
            _process_pacer = Pacer(limit) if limit is not None else None
            _process_configured = True
        return _process_pacer


def configure_process_pacer(limit: RateLimit | None) -> Pacer | None:
    """Replace the process's pacer (``None``: no pacing); clients built afterwards use it."""
    global _process_pacer, _process_configured
    with _process_lock:
        current = _process_pacer
        if current is None or limit is None or current.limit != limit:
            current = Pacer(limit) if limit is not None else None
        _process_pacer = current
        _process_configured = True
        return current
