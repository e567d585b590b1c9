"""``cf-origin-trust-store`` (also ``python -m policies``): the pack's rules outside Pulumi.

One argparse parser with a subcommand per module of ``policies.commands``. Subcommands that need
the provider's client (``audit``, ``probe``) import it themselves, so a published pack, which
carries only the ``policies`` folder, still loads its ``check``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

PROG = "cf-origin-trust-store"
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE
#: The subcommands, in the order ``--help`` lists them; each is ``policies.commands.<name>``.
SUBCOMMANDS = ("check", "audit", "probe")
_PACKAGE = "policies.commands"


def _available_commands() -> list[tuple[str, ModuleType]]:
    """The subcommand modules present in this copy (a published pack may carry only some)."""
    modules = []
    for name in SUBCOMMANDS:
        qualified = f"{_PACKAGE}.{name}"
        if importlib.util.find_spec(qualified) is not None:
            modules.append((name, importlib.import_module(qualified)))
    return modules


def _summary(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run the cloudflare-origin-trust-store policies outside Pulumi.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _available_commands():
        summary = _summary(module)
        sub = commands.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments) and run the subcommand; its exit status."""
    args = build_parser().parse_args(argv)  # exits with 2 on bad usage
    try:
        status: int = args.run(args)
    except BrokenPipeError:  # the reader went away (``| head``): nothing left to say
        sys.stderr.close()
        return EXIT_BROKEN_PIPE
    return status
