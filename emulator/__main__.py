"""``python -m emulator``: serve the emulated Cloudflare API until SIGINT/SIGTERM.

The FIRST line of stdout starts with the API base URL (``http://127.0.0.1:PORT/client/v4``),
then says which token it accepts; it is flushed as soon as the socket is listening, so a
parent process can read its first field and start at once. Bad options, a port out of range,
a ``--db`` that cannot be used: one line on stderr, exit 2, the db file left untouched.
"""

from __future__ import annotations

import argparse
import math
import signal
import sqlite3
import sys
import threading
from types import FrameType
from typing import NoReturn

from emulator.app import Emulator
from emulator.clock import Clock, FrozenClock, TickingClock, parse_rfc3339, system_clock
from emulator.config import DEFAULT_TOKEN, EmulatorConfig, parse_rate_limit
from emulator.server import DEFAULT_HOST, EmulatorServer
from emulator.state import StoreFileError
from emulator.zones import parse_zone_declaration
from loopback import is_loopback


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not argparse's usage block."""
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0: any free port); got {port}")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0; got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m emulator",
        description="Local emulator of Cloudflare's Custom Origin Trust Store API.",
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port (0: pick a free one)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default loopback)")
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow a --host other than a loopback address (the control API has no auth)",
    )
    parser.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help=f"accepted API token, as 'Authorization: Bearer TOKEN' (default: {DEFAULT_TOKEN})",
    )
    parser.add_argument("--email", default=None, help="accepted X-Auth-Email (with --api-key)")
    parser.add_argument("--api-key", default=None, help="accepted X-Auth-Key (with --email)")
    parser.add_argument(
        "--zone",
        action="append",
        default=[],
        metavar="ID[=NAME]",
        help="declare a zone listed by GET /zones (repeatable; default name <ID>.example.com)",
    )
    parser.add_argument("--db", default=None, metavar="FILE", help="persist state in SQLite FILE")
    parser.add_argument(
        "--activation-delay",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="seconds from upload to active: initializing, then pending_deployment (default 0)",
    )
    parser.add_argument(
        "--deletion-delay",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="seconds a deleted entry stays visible: pending_deletion, then deleted (default 0)",
    )
    parser.add_argument(
        "--rate-limit", default=None, metavar="N/WINDOW", help="e.g. 1200/300 (default off)"
    )
    parser.add_argument(
        "--start-time",
        default=None,
        metavar="RFC3339",
        help="the emulator clock starts at this instant (default: the system clock)",
    )
    parser.add_argument(
        "--frozen-clock",
        action="store_true",
        help="the clock stands still (moves only via POST /__emulator/clock)",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (args.allow_non_loopback or is_loopback(args.host)):
        print(
            f"emulator: --host {args.host} is not a loopback address; anyone who can reach it"
            " could reset or fake state through /__emulator/ (no authentication). Bind to"
            " 127.0.0.1, or pass --allow-non-loopback if that is really meant.",
            file=sys.stderr,
        )
        return 2
    try:
        rate_limit = parse_rate_limit(args.rate_limit) if args.rate_limit else None
        start = parse_rfc3339(args.start_time) if args.start_time else None
        zones = tuple(parse_zone_declaration(text) for text in args.zone)
        config = EmulatorConfig(
            token=args.token,
            email=args.email,
            api_key=args.api_key,
            activation_delay=args.activation_delay,
            deletion_delay=args.deletion_delay,
            rate_limit=rate_limit,
            db_path=args.db,
            zones=zones,
        )
    except ValueError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    clock: Clock
    if args.frozen_clock:
        clock = FrozenClock(start or system_clock())
    elif start is not None:
        clock = TickingClock(start)
    else:
        clock = system_clock
    try:
        emulator = Emulator(config, clock=clock)
    except (StoreFileError, sqlite3.Error, ValueError) as exc:
        print(f"emulator: --db {exc}", file=sys.stderr)
        return 2
    try:
        server = EmulatorServer(
            host=args.host, port=args.port, emulator=emulator, verbose=args.verbose
        )
    except OSError as exc:
        emulator.close()
        print(
            f"emulator: cannot listen on {args.host} port {args.port}: {exc.strerror or exc}"
            " (is the port taken? try --port 0 for any free port)",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    token = (
        f"{DEFAULT_TOKEN} (the default)" if args.token == DEFAULT_TOKEN else "as given by --token"
    )
    print(
        f"{server.base_url}  token: {token}; control API: {server.root_url}/__emulator/", flush=True
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        server.emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
