"""Facts every test module shares: the zone, the credentials, the local URL, the retry policy.

Fixtures live under tests/fixtures/ (registered in tests/conftest.py); these are plain values.
"""

from __future__ import annotations

from provider.retry import RetryPolicy

#: A zone id in Cloudflare's shape (the API docs' example).
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
#: Another well-formed zone, for tests about zones kept apart.
OTHER_ZONE_ID = "11111111111111111111111111111111"
#: A well-formed entry id no emulator ever hands out.
MISSING_ID = "ffffffffffffffffffffffffffffffff"

#: The emulators' token. Secret-shaped and unique, so a test that finds it in output has found
#: a leak, not a coincidence.
TOKEN = "test-token-Zq8vW2xR7tY4uI9oP3aS6dF1gH5jK0l"
EMAIL = "ops@example.com"
API_KEY = "test-global-key-Yt6rE3wQ9uI2oP5aS8dF1g"

#: Base URL for clients on the in-process transport: it answers any host, and a loopback host
#: lets the client use plain http.
LOCAL_URL = "http://localhost/client/v4"

#: Production's attempt count with millisecond waits: retries are exercised, not waited for.
FAST_RETRY = RetryPolicy(
    max_attempts=4, initial_backoff=0.001, max_backoff=0.005, max_retry_after=0.01
)
