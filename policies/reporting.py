"""Policy results in the formats CI expects: a table, JSON, SARIF 2.1.0, JUnit XML, GitHub commands.

Every command that judges CAs (``check`` on files, ``audit`` on live stores) builds the same
neutral list of ``Result`` about ``Target`` (a file, an entry or a zone) and hands it to
``render``; the formats never know where the results came from. conftest and checkov are the
anchors: SARIF for code scanning, JUnit for test reports, workflow commands for annotations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree as ET

from policies.trust_rules.catalog import BLOCKING_LEVELS, Level, PolicySpec
from policies.trust_rules.certificates import CertificateFacts
from policies.trust_rules.outcomes import Evaluation, whole_days

TOOL_NAME = "cf-origin-trust-store"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a violation of a blocking (mandatory or remediate) policy
    WARNED = "warned"  # a violation of an advisory policy
    NOT_APPLICABLE = "not_applicable"


PROBLEMS = frozenset({Status.FAILED, Status.WARNED})


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"


@dataclass(frozen=True, slots=True)
class Target:
    """What a result is about: a CA file, a live entry, or a whole zone (then ``kind`` "zone").

    ``label`` names it for people; ``file`` (a path) lets CI point at it; the certificate fields
    are filled in when one certificate is concerned.
    """

    label: str
    kind: str
    zone_id: str | None = None
    file: str | None = None
    entry_id: str | None = None
    facts: CertificateFacts | None = None


@dataclass(frozen=True, slots=True)
class Result:
    policy: str
    level: Level
    target: Target
    status: Status
    message: str = ""

    @property
    def blocks(self) -> bool:
        return self.status is Status.FAILED


def status_for(level: Level, violated: bool) -> Status:
    if not violated:
        return Status.PASSED
    return Status.FAILED if level in BLOCKING_LEVELS else Status.WARNED


def evaluation_results(
    policy: str,
    level: Level,
    target: Target,
    evaluation: Evaluation,
    locate: Callable[[str], Target | None],
) -> list[Result]:
    """The results of one rule's verdict, shared by ``check`` and ``audit``: one per violation,
    at the place ``locate`` finds for its urn (else ``target``). A violation the change leaves
    as it was is reported, never counted as blocking (never block a zone's fix)."""
    if evaluation.not_applicable is not None:
        return [Result(policy, level, target, Status.NOT_APPLICABLE, evaluation.not_applicable)]
    if not evaluation.violations:
        return [Result(policy, level, target, Status.PASSED, "; ".join(evaluation.notes))]
    results = []
    for violation in evaluation.violations:
        located = locate(violation.urn or "") or target
        status = status_for(level, violated=True)
        if not violation.refusable and status is Status.FAILED:
            status = Status.WARNED
        results.append(Result(policy, level, located, status, violation.message))
    return results


@dataclass(frozen=True, slots=True)
class Report:
    """Results with what the renderers need besides them: the instant, the policies, counts."""

    results: Sequence[Result]
    now: dt.datetime
    specs: Sequence[PolicySpec]
    levels: Mapping[str, Level]
    summary_extra: Mapping[str, int] = field(default_factory=dict)
    #: What could not be judged at all (an audit's unreadable zone, say), one message each:
    #: SARIF then says the run did not succeed, whatever the results.
    errors: Sequence[str] = ()

    def count(self, status: Status) -> int:
        return sum(result.status is status for result in self.results)

    @property
    def blocked(self) -> bool:
        return any(result.blocks for result in self.results)

    def summary_line(self) -> str:
        targets = len({(r.target.kind, r.target.label) for r in self.results})
        return (
            f"{self.count(Status.FAILED)} mandatory failure(s), "
            f"{self.count(Status.WARNED)} advisory warning(s), {self.count(Status.PASSED)} "
            f"passed, {self.count(Status.NOT_APPLICABLE)} not applicable "
            f"({len(self.results)} checks on {targets} target(s))"
        )


_TABLE_LABELS = {
    Status.PASSED: "ok",
    Status.FAILED: "FAIL",
    Status.WARNED: "WARN",
    Status.NOT_APPLICABLE: "n/a",
}


def render_table(report: Report, out: TextIO, *, verbose: bool = False) -> None:
    """Problems only (every row with ``verbose``), then the summary."""
    rows = [r for r in report.results if verbose or r.status in PROBLEMS]
    if rows:
        width = max(len(r.policy) for r in rows)
        out.write(f"{'RESULT':<6}  {'LEVEL':<9}  {'POLICY':<{width}}  TARGET\n")
        for r in rows:
            label = _TABLE_LABELS[r.status]
            out.write(f"{label:<6}  {r.level.value:<9}  {r.policy:<{width}}  {r.target.label}\n")
            if r.message and r.status is not Status.PASSED:
                out.write(f"{'':<6}  {r.message}\n")
        out.write("\n")
    elif report.results:
        out.write("No problems found.\n")
    out.write(report.summary_line() + "\n")


def _timestamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def result_fields(result: Result, now: dt.datetime) -> dict[str, object]:
    """One result as the JSON fields documented in docs/policies.md."""
    target, facts = result.target, result.target.facts
    return {
        "zoneId": target.zone_id,
        "file": target.file,
        "entryId": target.entry_id,
        "target": target.label,
        "targetKind": target.kind,
        "subject": facts.subject if facts else None,
        "fingerprintSha256": facts.sha256_fingerprint if facts else None,
        "keyType": facts.key_description if facts else None,
        "notBefore": _timestamp(facts.not_before) if facts else None,
        "notAfter": _timestamp(facts.not_after) if facts else None,
        "daysRemaining": whole_days(facts.not_after - now) if facts else None,
        "policy": result.policy,
        "level": result.level.value,
        "status": result.status.value,
        "message": result.message,
    }


def render_json(report: Report, out: TextIO) -> None:
    """Indented at the top, one result per line: readable, and fast (the C encoder runs)."""
    results = ",\n    ".join(
        json.dumps(result_fields(r, report.now), ensure_ascii=False) for r in report.results
    )
    head = {"tool": TOOL_NAME, "now": report.now.isoformat()}
    tail = {
        "summary": {
            "mandatoryFailures": report.count(Status.FAILED),
            "advisoryWarnings": report.count(Status.WARNED),
            "passed": report.count(Status.PASSED),
            "notApplicable": report.count(Status.NOT_APPLICABLE),
            **report.summary_extra,
        },
        "mandatoryFailures": report.count(Status.FAILED),
    }
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
    out.write(f'  "results": [\n    {results}\n  ],\n' if results else '  "results": [],\n')
    body = json.dumps(tail, indent=2, ensure_ascii=False)
    out.write(body[2:])  # the tail's members, after the opening brace and newline
    out.write("\n")


# --- SARIF 2.1.0 -------------------------------------------------------------------------------

_SARIF_LEVELS = {
    Level.MANDATORY: "error",
    Level.REMEDIATE: "error",
    Level.ADVISORY: "warning",
    Level.DISABLED: "none",
}


def artifact_uri(file: str) -> tuple[str, bool]:
    """A file as SARIF wants it: relative to the working folder (``%SRCROOT%``) when inside it."""
    path = Path(file)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        relative = absolute.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute.resolve().as_uri(), False
    return relative.as_posix(), True


def _sarif_rule(spec: PolicySpec, level: Level) -> dict[str, object]:
    return {
        "id": spec.name,
        "shortDescription": {"text": spec.description},
        "fullDescription": {"text": spec.description},
        "help": {"text": spec.remediation},
        "defaultConfiguration": {"level": _SARIF_LEVELS[level]},
        "properties": {"enforcementLevel": level.value, "severity": spec.severity.value},
    }


def _sarif_location(target: Target) -> dict[str, object]:
    if target.file is not None:
        uri, relative = artifact_uri(target.file)
        artifact: dict[str, object] = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        return {"physicalLocation": {"artifactLocation": artifact}}
    name = target.entry_id or target.zone_id or target.label
    return {"logicalLocations": [{"name": name, "fullyQualifiedName": target.label}]}


def sarif_document(report: Report) -> dict[str, object]:
    specs = list(report.specs)
    index = {spec.name: position for position, spec in enumerate(specs)}
    results = []
    for r in report.results:
        if r.status not in PROBLEMS:
            continue
        fingerprint = r.target.facts.sha256_fingerprint if r.target.facts else None
        result: dict[str, object] = {
            "ruleId": r.policy,
            "level": "error" if r.status is Status.FAILED else "warning",
            "kind": "fail",
            "message": {"text": r.message},
            "locations": [_sarif_location(r.target)],
            "properties": {"zoneId": r.target.zone_id, "fingerprintSha256": fingerprint},
        }
        if r.policy in index:
            result["ruleIndex"] = index[r.policy]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "rules": [
                            _sarif_rule(s, report.levels.get(s.name, s.level)) for s in specs
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not report.errors,
                        "endTimeUtc": report.now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": error}}
                            for error in report.errors
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }


def render_sarif(report: Report, out: TextIO) -> None:
    json.dump(sarif_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- JUnit XML ---------------------------------------------------------------------------------


def _grouped(results: Sequence[Result]) -> dict[str, dict[str, list[Result]]]:
    """policy → target name → results, in first-seen order (one testcase per policy and target).

    A file checked for several zones (a zone map may share a CA) is one target per zone.
    """
    zones_of: dict[str, set[str | None]] = {}
    for r in results:
        zones_of.setdefault(r.target.label, set()).add(r.target.zone_id)
    groups: dict[str, dict[str, list[Result]]] = {}
    for r in results:
        name = r.target.label
        if len(zones_of[name]) > 1 and r.target.kind != "zone":
            name += f" (zone {r.target.zone_id})"
        groups.setdefault(r.policy, {}).setdefault(name, []).append(r)
    return groups


def junit_tree(report: Report) -> ET.Element:
    """Failed cases carry ``<failure>``; advisory warnings pass with the warning in system-out."""
    root = ET.Element("testsuites", name=TOOL_NAME)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for policy, by_target in _grouped(report.results).items():
        suite = ET.SubElement(root, "testsuite", name=policy)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for label, results in by_target.items():
            target = results[0].target
            case = ET.SubElement(suite, "testcase", classname=policy, name=label)
            if target.file is not None:
                case.set("file", target.file)
            counts["tests"] += 1
            failed = [r for r in results if r.status is Status.FAILED]
            warned = [r for r in results if r.status is Status.WARNED]
            if failed:
                counts["failures"] += 1
                failure = ET.SubElement(
                    case, "failure", message=failed[0].message, type=failed[0].level.value
                )
                failure.text = "\n".join(r.message for r in failed)
            elif all(r.status is Status.NOT_APPLICABLE for r in results):
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=results[0].message)
            if warned:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"warning ({r.level.value}): {r.message}" for r in warned)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def render_junit(report: Report, out: TextIO) -> None:
    tree = junit_tree(report)
    ET.indent(tree)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(tree, encoding="unicode"))
    out.write("\n")


# --- GitHub workflow commands ------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, out: TextIO) -> None:
    """``::error file=…,title=…::message`` per problem, then the summary as a plain line."""
    for r in report.results:
        if r.status not in PROBLEMS:
            continue
        command = "error" if r.status is Status.FAILED else "warning"
        properties = []
        if r.target.file is not None:
            properties.append(f"file={_escape_property(_github_path(r.target.file))}")
        properties.append(f"title={_escape_property(f'{r.policy} ({r.target.label})')}")
        out.write(f"::{command} {','.join(properties)}::{_escape_data(r.message)}\n")
    out.write(report.summary_line() + "\n")


def _github_path(file: str) -> str:
    """Annotations need a path relative to the repository (the working folder in Actions)."""
    uri, relative = artifact_uri(file)
    return uri if relative else os.fspath(Path(file).resolve())


_RENDERERS: Mapping[Format, Callable[[Report, TextIO], None]] = {
    Format.JSON: render_json,
    Format.SARIF: render_sarif,
    Format.JUNIT: render_junit,
    Format.GITHUB: render_github,
}


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format``, its alias ``--json`` and ``--verbose``: the same for every command."""
    parser.add_argument(
        "--format",
        type=Format,
        choices=list(Format),
        default=Format.TABLE,
        help="output format (default: table)",
    )
    parser.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const=Format.JSON,
        help="the same as --format json",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="table: every result, not only problems"
    )


def render(report: Report, out: TextIO, output_format: Format, *, verbose: bool = False) -> None:
    if output_format is Format.TABLE:
        render_table(report, out, verbose=verbose)
    else:
        _RENDERERS[output_format](report, out)
