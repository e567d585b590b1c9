"""Audit the live trust stores: expiring or expired CAs, zones at risk, drift from stacks.

Reads each zone's Custom Origin Trust Store through the provider's client (only GET requests;
a read-only token is enough), with the credentials the provider uses (CLOUDFLARE_API_TOKEN, or
CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY; CLOUDFLARE_BASE_URL), and judges it with the pack's
policies and the same --config file as check. Exit status: 0 healthy, 1 a mandatory finding,
2 a usage or API error (zones that could be read are still reported).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from policies import reporting
from policies.audit import DEFAULT_CONCURRENCY, MAX_CONCURRENCY

EPILOG = (
    "Credentials: CLOUDFLARE_API_TOKEN (SSL and Certificates read; Zone read for --all-zones), "
    "or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY; CLOUDFLARE_BASE_URL for the emulator. Only GET "
    "requests are sent. Exit status: 0 healthy, 1 a mandatory finding, 2 a usage or API error "
    "(zones that could be read are still reported). See docs/audit.md."
)


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {MAX_CONCURRENCY}, got {text!r}"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 300):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 300")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    zones = parser.add_argument_group("zones (at least one of)")
    zones.add_argument(
        "--zone", action="append", metavar="ID", help="a zone id to audit (repeatable)"
    )
    zones.add_argument(
        "--all-zones", action="store_true", help="every zone the credentials can see (GET /zones)"
    )
    zones.add_argument(
        "--stack-state",
        action="append",
        type=Path,
        metavar="FILE",
        help="a `pulumi stack export` file (repeatable): marks entries managed or unmanaged, "
        "finds entries the zone lost, and audits the stack's zones",
    )
    parser.add_argument(
        "--origin",
        action="append",
        metavar="ZONE=HOST[:PORT][@SNI]",
        help="an origin served through ZONE (repeatable): its presented chain must verify to "
        "one of the zone's live CAs, now and minDaysRemaining ahead (origin-ca-covers-origins)",
    )
    parser.add_argument(
        "--probe-timeout",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="seconds each origin probe may take (DNS, connect, handshake; default 10)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="policy config JSON (the file check and the pack read); validated first",
    )
    parser.add_argument(
        "--now", metavar="ISO-8601", help="evaluate at this time instead of the clock"
    )
    reporting.add_output_arguments(parser)
    parser.add_argument(
        "--prometheus",
        type=Path,
        metavar="FILE",
        help="also write node-exporter textfile metrics to FILE (atomically; name it *.prom)",
    )
    parser.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"zones read at once (default {DEFAULT_CONCURRENCY}); the rate limit still applies",
    )
    parser.add_argument(
        "--rate-limit",
        metavar="N[/S]",
        help="requests per 5 minutes (or per S seconds), or 'off'; default "
        "CLOUDFLARE_RATE_LIMIT, else 95%% of Cloudflare's 1200/300",
    )


def run(args: argparse.Namespace) -> int:
    # Imported here: the audit needs the provider's client, which a published pack lacks.
    try:
        from policies.audit.run import run as run_audit
    except ModuleNotFoundError as missing:
        if missing.name != "provider" and not (missing.name or "").startswith("provider."):
            raise
        print(
            "error: audit needs the provider package, which this copy of the policies lacks "
            "(a published policy pack carries only check); install the project "
            "(`pip install <repository>`) and run `cf-origin-trust-store audit`",
            file=sys.stderr,
        )
        return 2
    return run_audit(args)
