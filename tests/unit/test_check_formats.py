"""``check --format sarif|junit|github``: what code scanning, test reports and annotations read."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from policies.trust_rules.catalog import ALL_SPECS
from tests.certs import expiring_in, root_ca
from tests.unit.test_check_cli import DAY, NOW_ARG, ZONE, check

REPO_ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = REPO_ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def sarif_validator() -> jsonschema.Draft4Validator:
    """The official schema (draft-04), from ../shared; skipped loudly where absent, except in CI."""
    if not SARIF_SCHEMA.exists():
        if os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(f"the SARIF 2.1.0 schema {SARIF_SCHEMA} is missing in CI")
        pytest.skip(f"SARIF SCHEMA VALIDATION NOT RUN: {SARIF_SCHEMA} is absent here")
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))


@pytest.fixture
def zone_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``cas/<zone>/`` with one healthy CA and one near expiry; the working folder is tmp_path."""
    folder = tmp_path / "cas" / ZONE
    folder.mkdir(parents=True)
    (folder / "good.pem").write_text(root_ca("Good Root").pem)
    (folder / "near.pem").write_text(expiring_in(10 * DAY, "Near Root").pem)
    monkeypatch.chdir(tmp_path)
    return folder


def test_sarif_is_valid_2_1_0_with_rules_from_the_catalog(zone_folder: Path) -> None:
    result = check("cas", "--format", "sarif", "--now", NOW_ARG)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [spec.name for spec in ALL_SPECS]
    near_rule = rules[[r["id"] for r in rules].index("origin-ca-not-near-expiry")]
    assert near_rule["defaultConfiguration"]["level"] == "error"
    assert "minDaysRemaining" in near_rule["shortDescription"]["text"]
    assert near_rule["help"]["text"].startswith("Upload the successor root CA first")
    by_rule = {r["ruleId"]: r for r in run["results"]}
    failure = by_rule["origin-ca-not-near-expiry"]
    assert failure["level"] == "error"
    location = failure["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": f"cas/{ZONE}/near.pem", "uriBaseId": "%SRCROOT%"}
    assert by_rule["origin-ca-expiry-warning"]["level"] == "warning"
    assert rules[failure["ruleIndex"]]["id"] == "origin-ca-not-near-expiry"
    sarif_validator().validate(document)


def test_sarif_schema_catches_a_broken_document() -> None:
    """The validation above can fail: a document without ``runs`` is refused."""
    with pytest.raises(jsonschema.ValidationError):
        sarif_validator().validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_junit_has_one_testcase_per_policy_and_target(zone_folder: Path) -> None:
    result = check("cas", "--format", "junit", "--now", NOW_ARG)
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)  # noqa: S314 (our own output)
    cases = root.findall("./testsuite/testcase")
    keys = [(case.get("classname"), case.get("name")) for case in cases]
    assert len(keys) == len(set(keys)) == 7 * 2 + 4  # 7 file policies x 2 files + 4 zone ones
    near = f"cas/{ZONE}/near.pem"
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == {
        ("origin-ca-not-near-expiry", near),
    }
    assert root.get("failures") == "1"
    warned = [c for c in cases if c.find("system-out") is not None]
    assert {(c.get("classname"), c.get("name")) for c in warned} == {
        ("origin-ca-expiry-warning", near)
    }
    near_case = next(c for c in cases if c.get("classname") == "origin-ca-not-near-expiry")
    assert near_case.get("name") == f"cas/{ZONE}/good.pem"  # first target, passed


def test_github_workflow_commands(zone_folder: Path) -> None:
    result = check("cas", "--format", "github", "--now", NOW_ARG)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        f"::error file=cas/{ZONE}/near.pem,title=origin-ca-not-near-expiry (cas/{ZONE}/near.pem)::"
    )
    assert "10 days from now" in errors[0]
    assert len(warnings) == 1
    assert "97%25 of its lifetime" in warnings[0]  # '%' escaped as the runner expects
    assert lines[-1].startswith("1 mandatory failure(s), 1 advisory warning(s)")


def test_junit_keeps_a_shared_ca_apart_per_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared.pem").write_text(root_ca("Shared Root").pem)
    other = "9a7806061c88ada191ed06f989cc3dac"
    (tmp_path / "zones.json").write_text(json.dumps({ZONE: "shared.pem", other: "shared.pem"}))
    result = check("--zone-map", "zones.json", "--format", "junit", "--now", NOW_ARG)
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)  # noqa: S314 (our own output)
    names = {c.get("name") for c in root.findall("./testsuite[@name='origin-ca-is-root']/testcase")}
    assert names == {f"shared.pem (zone {ZONE})", f"shared.pem (zone {other})"}
