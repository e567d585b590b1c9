"""Facts every test module shares: the zone, the credentials, the local URL, the retry policy;
how to read what a pickled dynamic provider in Pulumi state refers to; and how to run the
audit CLI as a user would.

Fixtures live under tests/fixtures/ (registered in tests/conftest.py); these are plain values.
"""

from __future__ import annotations

import base64
import os
import pickletools
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

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

#: One trust-store entry as the API sends it (a listing's item, a get's result).
API_ENTRY = {
    "id": "0" * 32,
    "certificate": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
    "expires_on": "2036-11-26T12:00:00Z",
    "issuer": "Example Origin",
    "signature": "SHA256WithRSA",
    "status": "active",
    "updated_at": "2026-11-29T12:00:00Z",
    "uploaded_on": "2026-11-29T12:00:00Z",
}

#: The outputs every trust-store entry carries in state, as the official provider names them
#: (Cloudflare's fields, then the ones derived from the certificate).
STATE_OUTPUTS = frozenset(
    {
        "expiresOn",
        "issuer",
        "signature",
        "status",
        "uploadedOn",
        "updatedAt",
        "fingerprintSha256",
        "subject",
        "notBefore",
        "notAfter",
        "keyType",
    }
)

#: Base URL for clients on the in-process transport: it answers any host, and a loopback host
#: lets the client use plain http.
LOCAL_URL = "http://localhost/client/v4"

#: Production's attempt count with millisecond waits: retries are exercised, not waited for.
FAST_RETRY = RetryPolicy(
    max_attempts=4, initial_backoff=0.001, max_backoff=0.005, max_retry_after=0.01
)


#: The same waits with three attempts, where a test counts them.
FAST_RETRY_3 = RetryPolicy(
    max_attempts=3, initial_backoff=0.001, max_backoff=0.002, max_retry_after=0.01
)


def pickled_globals(encoded: str) -> list[tuple[str, str]]:
    """The ``(module, name)`` of every global a base64 pickle (a dynamic resource's
    ``__provider`` in state) loads, read from its opcodes without unpickling it.

    A provider pickled by reference loads exactly its own class; one pickled by value also
    loads the helpers that rebuild code (``dill._dill._create_code``, ``types.CodeType``…).
    """
    pushed: list[str | None] = []  # what each opcode pushed: its string, or None for others
    memo: dict[int, str | None] = {}
    found = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(encoded)):
        if opcode.name == "GLOBAL":
            module, name = str(arg).split(" ", 1)
            found.append((module, name))
            pushed.append(None)
        elif opcode.name == "STACK_GLOBAL":
            found.append((str(pushed[-2]), str(pushed[-1])))
            pushed.append(None)
        elif opcode.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif opcode.name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(int(arg)))
        elif opcode.stack_after:
            pushed.append(arg if isinstance(arg, str) else None)
    return found


REPO_ROOT = Path(__file__).resolve().parents[1]


def run_audit(
    *argv: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m policies audit ARGV`` in a child process from the repository, with ``env``
    instead of any ``CLOUDFLARE_*`` variable of the test run's own environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    return subprocess.run(
        [sys.executable, "-m", "policies", "audit", *argv],
        cwd=REPO_ROOT,
        env=environment | dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
