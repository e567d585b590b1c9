"""Check CA certificate files or folders against the policies, offline (pre-commit hooks, CI).

Each file is one trust-store entry. Files are grouped by zone (``--zone-map``, the layout
``cas/<zoneId>/…``, or ``--zone``), and the zone policies judge each zone's files together; with
no zone given the files form one set of CAs. The config file has the format of
``pulumi --policy-pack-config``. Exit status: 0 when no mandatory policy failed, 1 when one did,
2 on usage errors (bad option, unreadable file, zone map or config).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from policies import ca_files, check_origins, reporting
from policies.check_cache import FactsCache, default_cache_dir
from policies.reading import FileRefused, read_certificate_file
from policies.reporting import Report, Result, Target
from policies.trust_rules.catalog import (
    ALL_POLICIES_KEY,
    ALL_SPECS,
    CONFIG_SPECS_BY_NAME,
    RESOURCE_POLICIES,
    STACK_POLICIES,
    Level,
    SettingValue,
    config_name_problems,
    entry_for,
)
from policies.trust_rules.errors import PolicyConfigError, PrivateKeyMaterialError
from policies.trust_rules.outcomes import CA_SET, FILE_KIND, Entry, Evaluation, Place, zone
from policies.trust_rules.printable import echo_input, printable

EXIT_OK, EXIT_MANDATORY_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad invocation: reported on stderr with exit status 2."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    levels: Mapping[str, Level]
    settings: Mapping[str, Mapping[str, SettingValue]]

    def fingerprint(self) -> str:
        """A stable digest of every level and setting (part of the cache key)."""
        canonical = json.dumps(
            {"levels": dict(self.levels), "settings": self.settings}, sort_keys=True
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


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
    levels = {spec.name: spec.level for spec in CONFIG_SPECS_BY_NAME.values()}
    overrides: dict[str, Mapping[str, object]] = {}
    if ALL_POLICIES_KEY in raw:
        value = raw[ALL_POLICIES_KEY]
        level_text = value.get("enforcementLevel") if isinstance(value, dict) else value
        level = _parse_level(ALL_POLICIES_KEY, level_text)
        levels = dict.fromkeys(levels, level)
    problems = config_name_problems(
        {name: value if isinstance(value, dict) else {} for name, value in raw.items()}
    )
    if problems:
        raise UsageError("config: " + "; ".join(problems))
    for name, value in raw.items():
        if name == ALL_POLICIES_KEY:
            continue
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
            name: spec.read_config(overrides.get(name, {}))
            for name, spec in CONFIG_SPECS_BY_NAME.items()
        }
    except PolicyConfigError as exc:
        raise UsageError(f"config: {exc}") from None
    return PolicyConfig(levels, settings)


# --- evaluation --------------------------------------------------------------------------------


def _file_target(entry: Entry) -> Target:
    return Target(
        label=entry.place.resource,
        kind=FILE_KIND,
        zone_id=entry.place.zone_id,
        file=entry.place.resource,
        facts=entry.facts,
    )


def _zone_target(zone_id: str | None) -> Target:
    label = zone(zone_id) if zone_id else CA_SET
    return Target(label=label, kind="zone", zone_id=zone_id)


def _results(
    policy: str, level: Level, target: Target, evaluation: Evaluation, files: Mapping[str, Entry]
) -> list[Result]:
    def locate(urn: str) -> Target | None:
        # Zone rules name the file that triggered a violation (its place's urn is the file).
        named = files.get(urn)
        if named is None:
            return None
        return Target(
            target.label, target.kind, target.zone_id, named.place.resource, facts=named.facts
        )

    return reporting.evaluation_results(policy, level, target, evaluation, locate)


def evaluate(
    entries: Sequence[Entry],
    config: PolicyConfig,
    now: dt.datetime,
    origins: Sequence[check_origins.OriginArgument] = (),
) -> list[Result]:
    """Every enabled policy: resource policies per file, then zone policies per zone."""
    results: list[Result] = []
    files = {entry.place.resource: entry for entry in entries}
    for entry in entries:
        target = _file_target(entry)
        for policy in RESOURCE_POLICIES:
            level = config.levels[policy.spec.name]
            if level is Level.DISABLED:
                continue
            evaluation = policy.evaluate(entry, now, config.settings[policy.spec.name])
            results += _results(policy.spec.name, level, target, evaluation, files)
    by_zone: dict[str | None, list[Entry]] = {}
    for entry in entries:
        by_zone.setdefault(entry.place.zone_id, []).append(entry)
    for zone_id, members in by_zone.items():
        target = _zone_target(zone_id)
        for stack_policy in STACK_POLICIES:
            level = config.levels[stack_policy.spec.name]
            if level is Level.DISABLED:
                continue
            settings = config.settings[stack_policy.spec.name]
            if stack_policy.spec.name == check_origins.POLICY:
                with_origins = check_origins.settings_for(settings, zone_id, origins)
                if with_origins is None:
                    continue  # no origin declared for these files: nothing to judge
                settings = with_origins
            evaluation = stack_policy.evaluate(members, (), now, settings)
            results += _results(stack_policy.spec.name, level, target, evaluation, files)
    return results


# --- input -------------------------------------------------------------------------------------


def _read(ca_file: ca_files.CaFile) -> tuple[bytes, str]:
    """A bounded read of a regular file only (no FIFO, device or directory; see ``reading``),
    PEM or DER; a DER private key surfaces as the PEM parser's private-key refusal."""
    try:
        return read_certificate_file(ca_file.path, shown=ca_file.display)
    except FileRefused as exc:
        raise UsageError(str(exc)) from None


def read_config(path: Path | None) -> PolicyConfig:
    """The validated config in ``path`` (defaults without one); ``UsageError`` names a typo."""
    if path is None:
        return load_config({})
    try:
        raw = ca_files.read_json(path, "policy config")
    except ca_files.CaFileError as exc:
        raise UsageError(str(exc)) from None
    return load_config(raw)


def parse_now(text: str | None) -> dt.datetime:
    """``--now`` as an aware UTC instant (the clock without one)."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {echo_input(text)} is not an ISO 8601 timestamp") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _ca_files(args: argparse.Namespace) -> list[ca_files.CaFile]:
    try:
        found = ca_files.from_arguments(args.paths, args.zone)
        if args.zone_map is not None:
            found += ca_files.from_zone_map(args.zone_map)
    except ca_files.CaFileError as exc:
        raise UsageError(str(exc)) from None
    if not found:
        raise UsageError("nothing to check: name CA files or folders, or give --zone-map FILE")
    return ca_files.unique(found)


def _entries(files: Sequence[ca_files.CaFile], cache: FactsCache | None) -> list[Entry]:
    entries = []
    for ca_file in files:
        shown = printable(ca_file.display)
        zone_id = None if ca_file.zone_id is None else printable(ca_file.zone_id)
        place = Place(shown, zone_id, urn=shown, kind=FILE_KIND)
        try:
            content, text = _read(ca_file)
        except PrivateKeyMaterialError as problem:
            entries.append(Entry(place, problem=problem))
            continue
        entries.append(
            entry_for(text, place) if cache is None else cache.entry(content, text, place)
        )
    return entries


# --- the command -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="CA files, folders (every .pem/.crt/.cer/.der inside) or globs",
    )
    parser.add_argument("--zone", help="zone id of the files that no zone map or layout places")
    parser.add_argument(
        "--zone-map",
        type=Path,
        metavar="FILE",
        help='JSON: zone id → files, folders or globs, e.g. {"<zoneId>": ["cas/prod/*.pem"]}',
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="policy config JSON (--policy-pack-config format); validated before any check",
    )
    reporting.add_output_arguments(parser)
    parser.add_argument(
        "--now", metavar="ISO-8601", help="evaluate at this time instead of the clock"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="folder of the parsed-certificate cache (default: "
        "$XDG_CACHE_HOME/cf-origin-trust-store)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check_origins.add_argument(parser)


def run(args: argparse.Namespace) -> int:
    try:
        config = read_config(args.config)
        now = parse_now(args.now)
        files = _ca_files(args)
        cache = (
            None
            if args.no_cache
            else FactsCache(args.cache_dir or default_cache_dir(), config.fingerprint())
        )
        entries = _entries(files, cache)
        origins = check_origins.read_arguments(args.origin)
    except (UsageError, check_origins.OriginArgumentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if cache is not None:
        try:
            cache.save()
        except OSError as exc:
            print(
                f"note: the check cache was not saved ({exc}); --no-cache skips it", file=sys.stderr
            )
    results = evaluate(entries, config, now, origins)
    zones = len({entry.place.zone_id for entry in entries})
    report = Report(
        results,
        now,
        ALL_SPECS,
        config.levels,
        summary_extra={"files": len(entries), "zones": zones},
    )
    reporting.render(report, sys.stdout, args.format, verbose=args.verbose)
    return EXIT_MANDATORY_FAILURE if report.blocked else EXIT_OK
