"""Pacing on the real engine (issue 15): the stack's ``rateLimit`` keeps a deployment under the
API's rate limit (the emulator's ``--rate-limit``) with no 429, and a resource held back says
so on its own line of Pulumi's output instead of stalling silently."""

from __future__ import annotations

import re

import pytest

from scripts.certs import root_ca
from tests.fixtures.stack import StackFactory

pytestmark = pytest.mark.e2e

#: Small enough that the bucket must make callers wait over a second (0.8 calls/s after a
#: burst of one), large enough to keep the test short.
LIMIT = "10/10"
ENTRIES = 12


def test_an_up_paced_by_the_stack_rate_limit_meets_no_429_and_says_it_is_waiting(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack(emulator_args=["--rate-limit", LIMIT])
    for index in range(ENTRIES):
        stack.write_ca(f"root-{index:02d}", root_ca(f"Paced Root {index:02d}").pem)
    stack.workspace.set_config("rateLimit", LIMIT)

    up = stack.workspace.up()

    assert up.changes == {"create": ENTRIES + 1}, up
    statuses = [r["status"] for r in stack.api_requests()]
    assert statuses == [200] * ENTRIES, "one POST each, none refused by the rate limit"
    assert len(stack.live_entries()) == ENTRIES
    # The wait is attached to the entry that waits, in the engine's per-resource diagnostics.
    waiting = re.compile(
        r"CustomOriginTrustStore \((ca-[0-9a-f]{12}-[0-9a-f]{16})\):\s*\n\s*"
        r"waiting \d+ s for the Cloudflare API rate limit \(10/10s; set rateLimit or"
        r" CLOUDFLARE_RATE_LIMIT to change it\)"
    )
    named = set(waiting.findall(up.output))
    assert named, up.output
    assert named <= set(stack.entries_in_state())
