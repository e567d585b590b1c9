"""``check --origin CHAIN.pem@HOSTNAME``: origin-ca-covers-origins applied offline to CA files.

Each ``--origin`` names a PEM chain file (as ``probe --out`` writes it) and the hostname Cloudflare
verifies it for. The chain is judged against every set of CA files checked (each zone, or the one
set when no zone is given); so are the ``origins`` of a ``--config`` file, against the files of
their zone. No deployment is involved, so every uncovered origin is a failure.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from policies.reading import FileRefused, decode_text, read_file_bytes
from policies.trust_rules.catalog import SettingValue
from policies.trust_rules.origins import parse_chain
from policies.trust_rules.printable import printable

POLICY = "origin-ca-covers-origins"
CHAIN_WHAT = "PEM certificate chain"


class OriginArgumentError(Exception):
    """A bad ``--origin``: reported like any usage error (exit status 2)."""


@dataclass(frozen=True, slots=True)
class OriginArgument:
    hostname: str
    #: The chain file's PEM text, read once.
    chain: str


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="CHAIN.pem@HOSTNAME",
        help="also check that this origin chain (e.g. from `probe --out`) verifies for HOSTNAME "
        "to the CAs checked (origin-ca-covers-origins); repeatable",
    )


def read_arguments(values: Sequence[str]) -> list[OriginArgument]:
    origins = []
    for value in values:
        path_text, at, hostname = value.rpartition("@")
        if not at or not path_text or not hostname:
            raise OriginArgumentError(
                f"--origin {printable(value)!r}: expected CHAIN.pem@HOSTNAME, e.g. "
                "origin-chain.pem@origin.example.com"
            )
        try:
            content = read_file_bytes(Path(path_text), what=CHAIN_WHAT)
            text = decode_text(content, what=CHAIN_WHAT, shown=path_text)
        except FileRefused as error:
            raise OriginArgumentError(f"--origin: {error}") from None
        try:
            parse_chain(text)
        except ValueError as error:
            raise OriginArgumentError(f"--origin: {printable(path_text)}: {error}") from None
        origins.append(OriginArgument(hostname, text))
    return origins


def settings_for(
    settings: Mapping[str, SettingValue], zone_id: str | None, origins: Sequence[OriginArgument]
) -> dict[str, SettingValue] | None:
    """The policy's settings for the set of CAs ``zone_id``: the config's origins of that zone
    (relative chain paths start at the pack's folder, as under Pulumi) and every ``--origin``.
    None when no origin concerns this set."""
    configured = settings.get("origins", ())
    of_zone = tuple(
        origin
        for origin in (configured if isinstance(configured, tuple) else ())
        if isinstance(origin, dict) and zone_id and origin.get("zoneId") == zone_id
    )
    given = tuple(
        {"zoneId": zone_id or "", "hostname": origin.hostname, "chain": origin.chain}
        for origin in origins
    )
    if not of_zone and not given:
        return None
    return {**settings, "origins": (*of_zone, *given)}
