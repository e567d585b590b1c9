"""Capture the certificate chain an origin presents (without trusting it) and show or save it.

Prints subject, issuer and notAfter of each certificate the origin sends, leaf first, and with
``--out`` writes the chain as PEM (atomically) for ``check --origin`` or the ``origins`` setting
of origin-ca-covers-origins. Exit status: 0 when the chain was captured, 2 on any error
(bad arguments, DNS, refused connection, no TLS, failed handshake, unwritable file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from policies.atomic_file import write_atomically
from policies.trust_rules.origins import name_of
from policies.trust_rules.printable import printable

EXIT_OK, EXIT_ERROR = 0, 2
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "origin", metavar="HOST[:PORT]", help="origin to probe (port 443 if omitted)"
    )
    parser.add_argument("--sni", metavar="NAME", help="server name to send (default: HOST)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the chain as PEM here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"bound on connecting and on the handshake (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def chain_pem(chain: Sequence[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in chain)


def describe(chain: Sequence[x509.Certificate]) -> list[str]:
    """One block per certificate: subject, issuer, notAfter."""
    lines = []
    for index, certificate in enumerate(chain):
        role = "leaf" if index == 0 else f"#{index}"
        lines += [
            f"{role}: {name_of(certificate)}",
            f"  issuer:   {printable(certificate.issuer.rfc4514_string())}",
            f"  notAfter: {certificate.not_valid_after_utc.isoformat()}",
        ]
    return lines


def run(args: argparse.Namespace) -> int:
    from policies.origin_probe import ProbeError, fetch_chain, parse_origin

    if not 0 < args.timeout <= MAX_TIMEOUT_SECONDS:
        print(
            f"error: --timeout must be above 0 and at most {MAX_TIMEOUT_SECONDS:g}", file=sys.stderr
        )
        return EXIT_ERROR
    try:
        origin = parse_origin(args.origin)
        chain = fetch_chain(origin.host, origin.port, args.sni, args.timeout)
    except (ValueError, ProbeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    sni = f" (SNI {printable(args.sni)})" if args.sni else ""
    print(f"{origin}{sni} presented {len(chain)} certificate(s):")
    print("\n".join(describe(chain)))
    if args.out is not None:
        try:
            write_atomically(args.out, chain_pem(chain), encoding="ascii")
        except OSError as error:
            shown = printable(str(args.out))
            print(f"error: cannot write {shown}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
        print(f"wrote the chain to {printable(str(args.out))}")
    return EXIT_OK
