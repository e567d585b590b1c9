"""``audit`` from parsed arguments to exit status: validate, read, judge, render.

Exit status: 0 healthy, 1 a mandatory finding, 2 a usage error or an API error (the zones
that could be read are still reported, and the failed ones named on stderr and in the output).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from policies import reporting
from policies.atomic_file import write_atomically
from policies.audit import outputs, prometheus
from policies.audit.collect import collect
from policies.audit.findings import AuditContext, audit_zone
from policies.audit.origins import parse_live_origin, probe_errors, probe_origins
from policies.audit.result import AuditResult
from policies.audit.stack_state import StackStateError, read_stack_states
from policies.commands.check import UsageError, parse_now, read_config
from policies.reporting import Format
from policies.trust_rules.printable import printable
from provider.client import TrustStoreClient
from provider.entries import validate_id
from provider.errors import ConfigurationError, InvalidInputError
from provider.pacing import configure_process_pacer, parse_rate_limit

EXIT_OK, EXIT_MANDATORY_FINDING, EXIT_ERROR = 0, 1, 2


def _zone_ids(raw: Sequence[str]) -> list[str]:
    ids: list[str] = []
    for text in raw:
        try:
            zone_id = validate_id(text.strip(), "--zone")
        except InvalidInputError as exc:
            raise UsageError(str(exc)) from None
        if zone_id not in ids:
            ids.append(zone_id)
    return ids


class _PacingNote:
    """Says once, on stderr, that the audit waits for the rate limit (not that it hangs)."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._said = False

    def __call__(self, seconds: float) -> None:
        if not self._said:
            self._said = True
            print(
                f"note: pacing requests below the API rate limit (waiting {seconds:.0f} s at a "
                "time); set CLOUDFLARE_RATE_LIMIT or --rate-limit to change it",
                file=self._err,
            )


def _client(args: argparse.Namespace, err: TextIO) -> TrustStoreClient:
    if args.rate_limit is not None:
        configure_process_pacer(parse_rate_limit(args.rate_limit, source="--rate-limit"))
    return TrustStoreClient.from_env(on_pacing_wait=_PacingNote(err))


def run(
    args: argparse.Namespace,
    *,
    client: TrustStoreClient | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The audit; ``client`` lets tests bring one on the in-process emulator."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        config = read_config(args.config)
        now = parse_now(args.now)
        zone_ids = _zone_ids(args.zone or [])
        state = read_stack_states(args.stack_state) if args.stack_state else None
        wanted_origins = [parse_live_origin(text) for text in args.origin or []]
        # The named zones first, then those of the stacks and of the origins, each once.
        zone_ids = list(
            dict.fromkeys(
                [*zone_ids, *(z for z, _ in state or ()), *(z for z, _ in wanted_origins)]
            )
        )
        if not zone_ids and not args.all_zones:
            raise UsageError(
                "no zones to audit: name them with --zone ID (repeatable), use --all-zones, or "
                "give --stack-state FILE to audit the zones of a stack"
            )
        owned = client is None
        client = client or _client(args, err)
    except (UsageError, StackStateError, ConfigurationError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_ERROR
    origins = probe_origins(wanted_origins, timeout=args.probe_timeout)
    context = AuditContext(config, now, state, origins)
    try:
        collection = collect(
            client,
            zone_ids,
            lambda snapshot: audit_zone(snapshot, context),
            all_zones=args.all_zones,
            concurrency=args.concurrency,
        )
    finally:
        if owned:
            client.close()
    result = AuditResult(
        collection.zones, now, config, collection.listing_error, probe_errors(origins)
    )
    for line in result.error_lines():
        print(f"error: {line}", file=err)
    metrics_written = True
    if args.prometheus is not None:
        try:
            write_atomically(args.prometheus, prometheus.exposition(result))
        except OSError as exc:
            metrics_written = False
            print(
                f"error: --prometheus {printable(str(args.prometheus))}: cannot write it "
                f"({exc.strerror or exc}); give a file in a writable folder",
                file=err,
            )
    render(result, args, out)
    if result.errors or not metrics_written:
        return EXIT_ERROR
    return EXIT_MANDATORY_FINDING if result.blocked else EXIT_OK


def render(result: AuditResult, args: argparse.Namespace, out: TextIO) -> None:
    if args.format is Format.TABLE:
        outputs.render_table(result, out, verbose=args.verbose)
    elif args.format is Format.JSON:
        outputs.render_json(result, out)
    else:
        reporting.render(result.report(), out, args.format, verbose=args.verbose)
