"""``python -m policies check FILE...``: the pack's rules on PEM files, for hooks and CI.

Each file is one trust-store entry in one zone (``--zone``), so the zone policies judge the files
together. The config file has the format of ``pulumi --policy-pack-config``. Exit status: 0 when
no mandatory policy failed, 1 when one did, 2 on usage errors (bad option, unreadable file or
config).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from policies.reading import FileRefused, read_text_file
from policies.trust_rules.catalog import (
    RESOURCE_POLICIES,
    SPECS_BY_NAME,
    STACK_POLICIES,
    Level,
    PolicySpec,
    SettingValue,
    entry_for,
)
from policies.trust_rules.errors import PolicyConfigError
from policies.trust_rules.outcomes import Entry, Evaluation
from policies.trust_rules.printable import echo_input, echo_name, printable
from policies.trust_rules.wording import Place

#: The zone all files belong to when ``--zone`` is not given.
DEFAULT_ZONE = "cli-zone"
EXIT_OK, EXIT_MANDATORY_FAILURE, EXIT_USAGE = 0, 1, 2
ALL_POLICIES_KEY = "all"
BLOCKING_LEVELS = frozenset({Level.MANDATORY, Level.REMEDIATE})


class UsageError(Exception):
    """Bad invocation: reported on stderr with exit status 2."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    levels: Mapping[str, Level]
    settings: Mapping[str, Mapping[str, SettingValue]]


@dataclass(frozen=True, slots=True)
class Result:
    policy: str
    level: Level
    target: str
    status: str  # "passed", "failed", "warned", "not_applicable"
    message: str = ""

    @property
    def blocks(self) -> bool:
        return self.status == "failed"


def _parse_level(policy: str, raw: object) -> Level:
    try:
        return Level(str(raw))
    except ValueError:
        allowed = ", ".join(level.value for level in Level)
        raise UsageError(
            f"config: {policy}: enforcementLevel {echo_input(raw)} is not one of {allowed}"
        ) from None


def load_config(raw: object) -> PolicyConfig:
    """Validate a ``--policy-pack-config`` style mapping against the catalogue."""
    if not isinstance(raw, dict):
        raise UsageError("config: expected a JSON object keyed by policy name")
    levels = {spec.name: spec.level for spec in SPECS_BY_NAME.values()}
    overrides: dict[str, Mapping[str, object]] = {}
    if ALL_POLICIES_KEY in raw:
        value = raw[ALL_POLICIES_KEY]
        level_text = value.get("enforcementLevel") if isinstance(value, dict) else value
        level = _parse_level(ALL_POLICIES_KEY, level_text)
        levels = dict.fromkeys(levels, level)
    for name, value in raw.items():
        if name == ALL_POLICIES_KEY:
            continue
        if name not in SPECS_BY_NAME:
            raise UsageError(f"config: unknown policy {echo_name(name)}")
        if isinstance(value, str):
            levels[name] = _parse_level(name, value)
        elif isinstance(value, dict):
            if "enforcementLevel" in value:
                levels[name] = _parse_level(name, value["enforcementLevel"])
            overrides[name] = value
        else:
            raise UsageError(f"config: {name}: expected an enforcement level or an object")
    try:
        settings = {
            name: spec.read_config(overrides.get(name, {})) for name, spec in SPECS_BY_NAME.items()
        }
    except PolicyConfigError as exc:
        raise UsageError(f"config: {exc}") from None
    return PolicyConfig(levels, settings)


def _result(spec: PolicySpec, level: Level, target: str, evaluation: Evaluation) -> list[Result]:
    if evaluation.not_applicable is not None:
        return [Result(spec.name, level, target, "not_applicable", evaluation.not_applicable)]
    if not evaluation.violations:
        return [Result(spec.name, level, target, "passed", "; ".join(evaluation.notes))]
    status = "failed" if level in BLOCKING_LEVELS else "warned"
    return [Result(spec.name, level, target, status, v.message) for v in evaluation.violations]


def evaluate(entries: Sequence[Entry], config: PolicyConfig, now: dt.datetime) -> list[Result]:
    """Every enabled policy over ``entries``: resource policies per file, then zone policies."""
    results: list[Result] = []
    for entry in entries:
        for policy in RESOURCE_POLICIES:
            level = config.levels[policy.spec.name]
            if level is Level.DISABLED:
                continue
            evaluation = policy.evaluate(entry, now, config.settings[policy.spec.name])
            results += _result(policy.spec, level, entry.place.resource, evaluation)
    zones = sorted({entry.place.zone_id or "" for entry in entries})
    for stack_policy in STACK_POLICIES:
        level = config.levels[stack_policy.spec.name]
        if level is Level.DISABLED:
            continue
        evaluation = stack_policy.evaluate(
            entries, (), now, config.settings[stack_policy.spec.name]
        )
        results += _result(stack_policy.spec, level, "zone " + ", ".join(zones), evaluation)
    return results


def _read_certificate(path: Path) -> str:
    try:
        return read_text_file(path, what="PEM certificate")
    except FileRefused as exc:
        raise UsageError(str(exc)) from None


def _read_config(path: Path | None) -> PolicyConfig:
    if path is None:
        return load_config({})
    try:
        raw = json.loads(read_text_file(path, what="JSON policy config"))
    except FileRefused as exc:
        raise UsageError(str(exc)) from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, a 5000-digit number
        raise UsageError(f"config {printable(str(path))} is not valid JSON: {exc}") from None
    return load_config(raw)


def _parse_now(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {echo_input(text)} is not an ISO 8601 timestamp") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


_STATUS_LABELS = {"passed": "ok", "failed": "FAIL", "warned": "WARN", "not_applicable": "n/a"}


def render_table(results: Sequence[Result], out: TextIO) -> None:
    policy_width = max((len(r.policy) for r in results), default=6)
    out.write(f"{'RESULT':<6}  {'LEVEL':<9}  {'POLICY':<{policy_width}}  TARGET\n")
    for r in results:
        label = _STATUS_LABELS[r.status]
        out.write(f"{label:<6}  {r.level.value:<9}  {r.policy:<{policy_width}}  {r.target}\n")
        if r.message and r.status != "passed":
            out.write(f"{'':<6}  {r.message}\n")
    counts = {status: sum(r.status == status for r in results) for status in _STATUS_LABELS}
    out.write(
        f"\n{counts['failed']} mandatory failure(s), {counts['warned']} advisory warning(s), "
        f"{counts['passed']} passed, {counts['not_applicable']} not applicable\n"
    )


def render_json(results: Sequence[Result], now: dt.datetime, zone: str, out: TextIO) -> None:
    document = {
        "now": now.isoformat(),
        "zone": zone,
        "results": [
            {
                "policy": r.policy,
                "enforcementLevel": r.level.value,
                "target": r.target,
                "status": r.status,
                "message": r.message,
            }
            for r in results
        ],
        "mandatoryFailures": sum(r.blocks for r in results),
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m policies",
        description="Run the cloudflare-origin-trust-store policies outside Pulumi.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check PEM certificate files (one CA per file)")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument("--zone", default=DEFAULT_ZONE, help="zone id the files belong to")
    check.add_argument(
        "--config", type=Path, help="policy config JSON (--policy-pack-config format)"
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check.add_argument("--now", help="evaluate at this ISO 8601 time instead of the clock")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)  # exits with 2 on bad usage
    try:
        config = _read_config(args.config)
        now = _parse_now(args.now)
        entries = [
            entry_for(
                _read_certificate(path),
                Place(printable(str(path)), printable(args.zone), kind="file"),
            )
            for path in args.files
        ]
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    results = evaluate(entries, config, now)
    if args.json:
        render_json(results, now, args.zone, sys.stdout)
    else:
        render_table(results, sys.stdout)
    return EXIT_MANDATORY_FAILURE if any(r.blocks for r in results) else EXIT_OK
