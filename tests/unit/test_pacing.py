"""Client-side pacing: one token bucket per process keeps every client under the rate limit."""

from __future__ import annotations

import threading

import pytest

from emulator.app import Emulator
from emulator.config import EmulatorConfig
from emulator.transport import EmulatorTransport
from provider import pacing
from provider.client import TrustStoreClient
from provider.credentials import ApiToken
from provider.errors import ConfigurationError
from provider.pacing import Pacer, RateLimit, parse_rate_limit
from provider.retry import RetryPolicy
from tests.fixtures.emulator import TOKEN, ZONE_ID

LOCAL_URL = "http://127.0.0.1/client/v4"


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def paced_times(pacer: Pacer, fake: FakeTime, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        pacer.acquire()
        times.append(fake.now)
    return times


def busiest_window(times: list[float], seconds: float) -> int:
    start, best = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("limit", [RateLimit(1200, 300), RateLimit(10, 10), RateLimit(3, 1)])
def test_no_window_ever_holds_more_than_the_limit(limit: RateLimit) -> None:
    fake = FakeTime()
    pacer = Pacer(limit, clock=fake.clock, sleep=fake.sleep)
    times = paced_times(pacer, fake, limit.requests * 3)
    assert busiest_window(times, limit.seconds) <= limit.requests
    # ... while using the share of it the pacer is meant to use.
    assert pacer.burst + pacer.rate * limit.seconds == int(limit.requests * pacing.DEFAULT_SHARE)
    assert times[-1] == pytest.approx((len(times) - pacer.burst) / pacer.rate)


def test_a_burst_goes_through_at_once_and_then_the_rate_applies() -> None:
    fake = FakeTime()
    pacer = Pacer(RateLimit(1200, 300), clock=fake.clock, sleep=fake.sleep)
    times = paced_times(pacer, fake, int(pacer.burst) + 10)
    assert times[int(pacer.burst) - 1] == 0.0
    assert times[-1] == pytest.approx(10 / pacer.rate)


def test_a_429_pauses_everyone_for_retry_after_and_halves_the_rate() -> None:
    fake = FakeTime()
    pacer = Pacer(RateLimit(100, 10), clock=fake.clock, sleep=fake.sleep)
    full = pacer.rate
    pacer.slow_down(retry_after=7.0)
    assert pacer.rate == pytest.approx(full / 2)
    assert pacer.acquire() == pytest.approx(7.0)
    for _ in range(pacing.RECOVERY_CALLS):
        pacer.record_success()
    assert pacer.rate == pytest.approx(full)


def test_repeated_429s_never_stop_the_bucket() -> None:
    pacer = Pacer(RateLimit(100, 10))
    for _ in range(50):
        pacer.slow_down(retry_after=None)
    assert pacer.rate == pytest.approx(pacer._full_rate * pacing.MIN_RATE_FRACTION)


def test_long_waits_are_announced_before_sleeping() -> None:
    fake = FakeTime()
    pacer = Pacer(RateLimit(3, 10), clock=fake.clock, sleep=fake.sleep)
    heard: list[float] = []
    for _ in range(3):
        pacer.acquire(heard.append)
    assert heard, "a multi-second wait must be announced"
    assert all(wait >= pacing.REPORTED_WAIT_SECONDS for wait in heard)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", RateLimit(1200, 300)),
        ("600/60", RateLimit(600, 60)),
        ("10/1s", RateLimit(10, 1)),
        (" OFF ", None),
        ("0", None),
    ],
)
def test_rate_limit_forms(text: str, expected: RateLimit | None) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["fast", "-5", "10/0", "10/inf", "1.5", "10/x", "9" * 80])
def test_a_bad_rate_limit_names_the_setting_and_the_forms(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_rate_limit(text, source="rateLimit")
    message = str(caught.value)
    assert message.startswith("rateLimit is ")
    assert "N/S" in message
    assert len(message) < 300


def test_the_process_pacer_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "_process_configured", False)
    monkeypatch.setattr(pacing, "_process_pacer", None)
    default = pacing.process_pacer({})
    assert default is not None
    assert default.limit == pacing.CLOUDFLARE_LIMIT
    assert pacing.process_pacer({"CLOUDFLARE_RATE_LIMIT": "off"}) is default  # built once
    monkeypatch.setattr(pacing, "_process_configured", False)
    assert pacing.process_pacer({"CLOUDFLARE_RATE_LIMIT": "off"}) is None
    chosen = pacing.configure_process_pacer(RateLimit(60, 60))
    assert chosen is not None
    assert pacing.process_pacer() is chosen


def _client(emulator: Emulator, pacer: Pacer | None) -> TrustStoreClient:
    return TrustStoreClient(
        ApiToken(TOKEN),
        base_url=LOCAL_URL,
        transport=EmulatorTransport(emulator),
        pacer=pacer,
        retry=RetryPolicy(max_attempts=8, initial_backoff=0.05, max_backoff=0.5, max_elapsed=30),
    )


def _statuses(emulator: Emulator) -> list[int]:
    return [int(record["status"]) for record in emulator.requests()]


def test_threads_sharing_a_pacer_stay_under_the_emulators_limit() -> None:
    emulator = Emulator(EmulatorConfig(rate_limit=(20, 1.0)))
    pacer = Pacer(RateLimit(20, 1.0))
    with _client(emulator, pacer) as client:
        threads = [
            threading.Thread(target=lambda: [client.list(ZONE_ID) for _ in range(8)])
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = _statuses(emulator)
    assert len(statuses) == 32
    assert 429 not in statuses


def test_a_pacer_that_overestimates_the_limit_slows_down_instead_of_storming() -> None:
    emulator = Emulator(EmulatorConfig(rate_limit=(10, 1.0)))
    pacer = Pacer(RateLimit(1000, 1.0))  # believes in a hundred times the real budget
    with _client(emulator, pacer) as client:
        for _ in range(30):
            client.list(ZONE_ID)
    statuses = _statuses(emulator)
    assert statuses.count(200) == 30
    assert pacer.slowdowns >= 1
    assert statuses.count(429) <= 10, "each 429 must slow the bucket, not repeat at full speed"
