"""Shared pytest wiring: each fixture family lives in its own module under tests/fixtures/."""

import os

# The process-wide rate-limit bucket (provider.pacing) would carry one test's 429s into the
# next; tests/unit/test_pacing.py gives its clients their own buckets and tests pacing itself.
# Pulumi's provider processes do not inherit this (the driver scrubs CLOUDFLARE_*), so the
# end-to-end tests run with the default pacing a user gets.
os.environ.setdefault("CLOUDFLARE_RATE_LIMIT", "off")

pytest_plugins: list[str] = [
    "tests.fixtures.pulumi",
    "tests.fixtures.emulator",
    "tests.fixtures.stack",
]
