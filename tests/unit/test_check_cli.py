"""``check``: the same rules on files, as a pre-commit hook or CI runs it.

The tests call ``main(argv)`` in-process; one smoke test runs ``python -m policies`` for real.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from policies.cli import main
from tests.certs import NOW, expiring_in, intermediate_ca, root_ca
from tests.unit.test_certificates import key_body_lines

NOW_ARG = NOW.isoformat()
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own cache folder (never the user's)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def check(*args: str | Path, cwd: Path | None = None) -> Run:
    """``cf-origin-trust-store check ARGS`` in-process, as the console script runs it."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["check", *map(str, args)])
            except SystemExit as exit_:  # argparse on bad usage
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return Run(code, out.getvalue(), err.getvalue())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_healthy_ca_prints_only_the_summary(tmp_path: Path) -> None:
    good = write(tmp_path, "root.pem", root_ca().pem)
    result = check(good, "--now", NOW_ARG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "No problems found.",
        "0 mandatory failure(s), 0 advisory warning(s), 11 passed, 0 not applicable "
        "(11 checks on 2 target(s))",
    ]


def test_verbose_table_shows_every_row(tmp_path: Path) -> None:
    good = write(tmp_path, "root.pem", root_ca().pem)
    lines = check(good, "--now", NOW_ARG, "--verbose").stdout.splitlines()
    assert lines[0].split() == ["RESULT", "LEVEL", "POLICY", "TARGET"]
    assert any(line.split()[:3] == ["ok", "mandatory", "origin-ca-is-root"] for line in lines)
    assert sum(line.startswith("ok") for line in lines) == 11


def test_near_expiry_fails_with_exit_1_and_a_message(tmp_path: Path) -> None:
    near = write(tmp_path, "near.pem", expiring_in(10 * DAY, "Near Root").pem)
    result = check(near, "--now", NOW_ARG, "--zone", ZONE)
    assert result.returncode == 1
    assert "FAIL    mandatory  origin-ca-not-near-expiry" in result.stdout
    assert "CA 'Near Root' (SHA-256 " in result.stdout
    assert f"file '{near}' in zone 023e…c353 expires 2026-12-09, 10 days from now" in result.stdout
    assert "WARN    advisory   origin-ca-expiry-warning" in result.stdout
    assert "This set of CAs for zone 023e…c353 keeps 0 CA(s)" in result.stdout
    assert "ok " not in result.stdout  # passing rows only with --verbose


def test_without_a_zone_no_zone_is_invented(tmp_path: Path) -> None:
    near = write(tmp_path, "near.pem", expiring_in(10 * DAY, "Near Root").pem)
    result = check(near, "--now", NOW_ARG)
    assert result.returncode == 1
    assert "This set of CAs keeps 0 CA(s) valid" in result.stdout
    assert f"for file '{near}' expires" in result.stdout
    for invented in ("cli-zone", "zone not known", "deployment"):
        assert invented not in result.stdout


def test_json_output(tmp_path: Path) -> None:
    near = write(tmp_path, "near.pem", expiring_in(10 * DAY).pem)
    result = check(near, "--json", "--now", NOW_ARG, "--zone", ZONE)
    assert result.returncode == 1
    assert check(near, "--format", "json", "--now", NOW_ARG, "--zone", ZONE).stdout == result.stdout
    document = json.loads(result.stdout)
    assert document["now"] == "2026-11-29T12:00:00+00:00"
    assert document["mandatoryFailures"] == 2  # not-near-expiry and the zone's coverage
    assert document["summary"]["files"] == 1
    by_policy = {r["policy"]: r for r in document["results"]}
    near_expiry = by_policy["origin-ca-not-near-expiry"]
    assert near_expiry["status"] == "failed"
    assert near_expiry["level"] == "mandatory"
    assert near_expiry["zoneId"] == ZONE
    assert near_expiry["file"] == str(near)
    assert near_expiry["subject"] == "CN=Expiring Root CA,O=Example Origin"
    assert len(near_expiry["fingerprintSha256"]) == 64
    assert near_expiry["notAfter"] == "2026-12-09T12:00:00+00:00"
    assert near_expiry["daysRemaining"] == 10
    assert "minDaysRemaining" in near_expiry["message"]
    assert by_policy["origin-ca-expiry-warning"]["status"] == "warned"
    assert by_policy["origin-ca-is-root"]["status"] == "passed"
    coverage = by_policy["origin-ca-zone-coverage"]
    assert (coverage["status"], coverage["zoneId"], coverage["file"]) == ("failed", ZONE, None)


def test_config_file_changes_threshold_and_enforcement(tmp_path: Path) -> None:
    near = write(tmp_path, "near.pem", expiring_in(10 * DAY).pem)
    config = write(
        tmp_path,
        "policy-config.json",
        json.dumps(
            {
                "origin-ca-not-near-expiry": {"minDaysRemaining": 5},
                "origin-ca-zone-coverage": {"enforcementLevel": "advisory"},
                "origin-ca-expiry-warning": "disabled",
            }
        ),
    )
    result = check(near, "--json", "--now", NOW_ARG, "--config", config)
    assert result.returncode == 0, result.stdout
    by_policy = {r["policy"]: r for r in json.loads(result.stdout)["results"]}
    assert by_policy["origin-ca-not-near-expiry"]["status"] == "passed"
    assert by_policy["origin-ca-zone-coverage"]["status"] == "warned"
    assert "origin-ca-expiry-warning" not in by_policy


def test_all_key_sets_every_level(tmp_path: Path) -> None:
    expired = write(tmp_path, "expired.pem", expiring_in(-DAY).pem)
    config = write(tmp_path, "c.json", json.dumps({"all": "advisory"}))
    result = check(expired, "--now", NOW_ARG, "--config", config)
    assert result.returncode == 0
    assert "WARN    advisory   origin-ca-not-expired" in result.stdout


def test_zone_policies_see_all_files_as_one_zone(tmp_path: Path) -> None:
    old = write(tmp_path, "old.pem", expiring_in(20 * DAY).pem)
    new = write(tmp_path, "new.pem", expiring_in(700 * DAY, "New Root").pem)
    config = write(tmp_path, "c.json", json.dumps({"origin-ca-not-near-expiry": "advisory"}))
    alone = check(old, "--json", "--now", NOW_ARG, "--config", config)
    together = check(old, new, "--json", "--now", NOW_ARG, "--config", config)
    assert alone.returncode == 1
    assert together.returncode == 0, together.stdout
    statuses = {r["policy"]: r["status"] for r in json.loads(together.stdout)["results"]}
    assert statuses["origin-ca-zone-coverage"] == "passed"
    assert statuses["origin-ca-rotation-ready"] == "passed"


def test_duplicate_files_are_reported(tmp_path: Path) -> None:
    pem = root_ca().pem
    a, b = write(tmp_path, "a.pem", pem), write(tmp_path, "b.pem", pem)
    result = check(a, b, "--now", NOW_ARG)
    assert result.returncode == 1, "a duplicate is refused before deployment"
    assert "FAIL    mandatory  origin-ca-no-duplicates" in result.stdout
    assert f"file '{a}' and file '{b}'" in result.stdout


def test_private_key_fails_and_is_never_printed(tmp_path: Path) -> None:
    issued = root_ca()
    leaked = write(tmp_path, "leaked.pem", issued.pem + issued.key_pem)
    for extra in ((), ("--json",)):
        result = check(leaked, "--now", NOW_ARG, *extra)
        assert result.returncode == 1
        assert "private key material found" in result.stdout
        for line in key_body_lines(issued.key_pem):
            assert line not in result.stdout
            assert line not in result.stderr


def test_intermediate_fails_is_root(tmp_path: Path) -> None:
    path = write(tmp_path, "intermediate.pem", intermediate_ca(root_ca()).pem)
    result = check(path, "--now", NOW_ARG)
    assert result.returncode == 1
    assert "FAIL    mandatory  origin-ca-is-root" in result.stdout


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    result = check(tmp_path / "missing.pem")
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "missing.pem" in result.stderr


def test_binary_file_that_is_not_der_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "cert.der"
    path.write_bytes(b"\xff\xfe" + root_ca().cert.public_bytes(serialization.Encoding.DER))
    result = check(path)
    assert result.returncode == 2
    assert "not UTF-8 text (expected a PEM or DER certificate file)" in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"origin-ca-nope": "advisory"}', "unknown policy 'origin-ca-nope'"),
        ('{"origin-ca-not-expired": "loud"}', "is not one of advisory"),
        ('{"origin-ca-not-near-expiry": {"minDaysRemaining": "x"}}', "must be a number"),
        ("[1]", "expected a JSON object"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, config: str, message: str) -> None:
    pem = write(tmp_path, "root.pem", root_ca().pem)
    result = check(pem, "--config", write(tmp_path, "c.json", config))
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_now_and_missing_files_are_usage_errors(tmp_path: Path) -> None:
    pem = write(tmp_path, "root.pem", root_ca().pem)
    assert check(pem, "--now", "yesterday").returncode == 2
    assert check().returncode == 2


def test_runs_from_any_directory(tmp_path: Path) -> None:
    pem = write(tmp_path, "root.pem", root_ca().pem)
    assert check(pem.name, "--now", NOW_ARG, cwd=tmp_path).returncode == 0


def test_module_entry_point_smoke(tmp_path: Path) -> None:
    """The one real process: ``python -m policies check`` from another folder."""
    near = write(tmp_path, "near.pem", expiring_in(10 * DAY).pem)
    result = subprocess.run(
        [sys.executable, "-m", "policies", "check", near.name, "--now", NOW_ARG],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 1, result.stderr
    assert "FAIL    mandatory  origin-ca-not-near-expiry  near.pem" in result.stdout
