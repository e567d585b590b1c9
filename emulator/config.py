"""How an emulator is set up: credentials, delays, rate limit, persistence."""

from __future__ import annotations

import math
from dataclasses import dataclass

from emulator.zones import check_zone_id, check_zone_name

DEFAULT_TOKEN = "test-token"  # noqa: S105 - a test credential, by design


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator.

    * ``token``: the API token accepted as ``Authorization: Bearer <token>`` (``None``: none).
    * ``email`` / ``api_key``: the legacy ``X-Auth-Email`` + ``X-Auth-Key`` pair accepted when
      both are set (default: no pair is accepted).
    * ``activation_delay``: seconds from upload to ``active`` (first half ``initializing``,
      second half ``pending_deployment``); 0 = active at once.
    * ``deletion_delay``: seconds a deleted entry stays visible (first half
      ``pending_deletion``, second half ``deleted``); 0 = gone at once.
    * ``rate_limit``: ``(requests, window_seconds)`` per credential, or ``None`` (off).
      Cloudflare's real limit is ``(1200, 300.0)``.
    * ``db_path``: SQLite file to persist state across restarts (``None``: memory only).
    * ``zones``: zones declared at start, ``(zone_id, name or None)``: listed by
      ``GET /zones`` even before they hold an entry.
    """

    token: str | None = DEFAULT_TOKEN
    email: str | None = None
    api_key: str | None = None
    activation_delay: float = 0
    deletion_delay: float = 0
    rate_limit: tuple[int, float] | None = None
    db_path: str | None = None
    zones: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        for zone_id, name in self.zones:
            check_zone_id(zone_id)
            if name is not None:
                check_zone_name(name)
        for delay in (self.activation_delay, self.deletion_delay):
            if not math.isfinite(delay) or delay < 0:
                raise ValueError("activation_delay and deletion_delay must be finite and >= 0")
        if self.rate_limit is not None:
            count, window = self.rate_limit
            if count < 1 or not math.isfinite(window) or window <= 0:
                raise ValueError("rate_limit must be (requests >= 1, window_seconds > 0)")


def parse_rate_limit(text: str) -> tuple[int, float]:
    """``"1200/300"`` -> ``(1200, 300.0)``: N requests per WINDOW seconds."""
    try:
        count_text, window_text = text.split("/", 1)
        count, window = int(count_text), float(window_text)
    except ValueError as exc:
        raise ValueError(
            f"rate limit must look like N/WINDOW_SECONDS, e.g. 1200/300: {text!r}"
        ) from exc
    if count < 1 or not math.isfinite(window) or window <= 0:
        raise ValueError(f"rate limit needs N >= 1 and a finite WINDOW > 0: {text!r}")
    return count, window
