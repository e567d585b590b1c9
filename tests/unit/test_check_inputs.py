"""``check`` on real repositories: folders, the ``cas/<zoneId>/`` layout and ``--zone-map``."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.certs import expiring_in, root_ca
from tests.common import ZONE_ID
from tests.unit.test_check_cli import DAY, NOW_ARG, check

OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac"


def results(stdout: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(stdout)["results"]
    return found


def test_a_folder_means_every_certificate_file_inside(tmp_path: Path) -> None:
    cas = tmp_path / "cas"
    (cas / "nested").mkdir(parents=True)
    (cas / "a.pem").write_text(root_ca("A Root").pem)
    (cas / "nested" / "b.crt").write_text(root_ca("B Root").pem)
    (cas / "README.md").write_text("not a certificate")
    (cas / ".hidden").mkdir()
    (cas / ".hidden" / "c.pem").write_text("skipped: hidden folders are not CAs")
    result = check(cas, "--json", "--now", NOW_ARG)
    assert result.returncode == 0, result.stderr
    files = {r["file"] for r in results(result.stdout) if r["file"]}
    assert files == {str(cas / "a.pem"), str(cas / "nested" / "b.crt")}


def test_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "cas").mkdir()
    result = check(tmp_path / "cas")
    assert result.returncode == 2
    assert "holds no certificate file" in result.stderr


def test_layout_gives_each_zone_folder_its_zone(tmp_path: Path) -> None:
    for zone_id, lifetime in ((ZONE_ID, 400 * DAY), (OTHER_ZONE, 10 * DAY)):
        folder = tmp_path / "cas" / zone_id
        folder.mkdir(parents=True)
        (folder / "root.pem").write_text(expiring_in(lifetime, f"Root {zone_id[:4]}").pem)
    result = check("cas", "--json", "--now", NOW_ARG, cwd=tmp_path)
    assert result.returncode == 1
    coverage = {
        r["zoneId"]: r["status"]
        for r in results(result.stdout)
        if r["policy"] == "origin-ca-zone-coverage"
    }
    assert coverage == {ZONE_ID: "passed", OTHER_ZONE: "failed"}
    files = {r["file"] for r in results(result.stdout) if r["zoneId"] == ZONE_ID and r["file"]}
    assert files == {f"cas/{ZONE_ID}/root.pem"}  # relative to the working folder, as typed


def test_layout_and_a_different_zone_flag_conflict(tmp_path: Path) -> None:
    folder = tmp_path / "cas" / ZONE_ID
    folder.mkdir(parents=True)
    (folder / "root.pem").write_text(root_ca().pem)
    result = check(folder, "--zone", OTHER_ZONE)
    assert result.returncode == 2
    assert "--zone says" in result.stderr


def test_zone_map_with_globs_folders_and_files(tmp_path: Path) -> None:
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "a.pem").write_text(root_ca("Prod A").pem)
    (tmp_path / "prod" / "b.pem").write_text(root_ca("Prod B").pem)
    (tmp_path / "shared.pem").write_text(expiring_in(10 * DAY, "Shared").pem)
    zone_map = tmp_path / "zones.json"
    zone_map.write_text(json.dumps({ZONE_ID: ["prod/*.pem"], OTHER_ZONE: ["shared.pem", "prod"]}))
    result = check("--zone-map", zone_map, "--json", "--now", NOW_ARG, cwd=tmp_path)
    assert result.returncode == 1  # the shared CA is near expiry in both zones' files
    by_zone: dict[object, set[object]] = {}
    for r in results(result.stdout):
        if r["file"] and r["policy"] == "origin-ca-is-root":
            by_zone.setdefault(r["zoneId"], set()).add(r["file"])
    assert by_zone == {
        ZONE_ID: {"prod/a.pem", "prod/b.pem"},
        OTHER_ZONE: {"shared.pem", "prod/a.pem", "prod/b.pem"},
    }
    coverage = [r for r in results(result.stdout) if r["policy"] == "origin-ca-zone-coverage"]
    assert {r["status"] for r in coverage} == {"passed"}  # prod's CAs cover the other zone


def test_zone_map_errors_name_the_problem(tmp_path: Path) -> None:
    zone_map = tmp_path / "zones.json"
    for content, message in (
        (json.dumps({ZONE_ID: ["missing/*.pem"]}), "matches no file"),
        (json.dumps({ZONE_ID: []}), "non-empty list"),
        ("[]", "expected a JSON object"),
        ("{", "not valid JSON"),
    ):
        zone_map.write_text(content)
        result = check("--zone-map", zone_map)
        assert result.returncode == 2, content
        assert message in result.stderr, (content, result.stderr)


def test_nothing_to_check_is_a_usage_error() -> None:
    result = check()
    assert result.returncode == 2
    assert "nothing to check" in result.stderr


def test_following_the_file_advice_leads_to_a_pass(tmp_path: Path) -> None:
    """Coverage and rotation say "add a successor root CA file to this set": doing so passes."""
    folder = tmp_path / "cas" / ZONE_ID
    folder.mkdir(parents=True)
    (folder / "old.pem").write_text(expiring_in(20 * DAY, "Old Root").pem)
    relaxed = tmp_path / "policy-config.json"
    relaxed.write_text(json.dumps({"origin-ca-not-near-expiry": "advisory"}))
    before = check("cas", "--now", NOW_ARG, "--config", relaxed, cwd=tmp_path)
    assert before.returncode == 1
    assert "Add a successor root CA file to this set" in before.stdout
    assert "Add its successor root CA file to this set" in before.stdout
    (folder / "successor.pem").write_text(expiring_in(700 * DAY, "Successor Root").pem)
    after = check("cas", "--now", NOW_ARG, "--config", relaxed, cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    assert "origin-ca-zone-coverage" not in after.stdout
    assert "origin-ca-rotation-ready" not in after.stdout


def test_following_the_layout_conflict_advice(tmp_path: Path) -> None:
    folder = tmp_path / "cas" / ZONE_ID
    folder.mkdir(parents=True)
    (folder / "root.pem").write_text(root_ca().pem)
    refused = check(folder, "--zone", OTHER_ZONE, "--now", NOW_ARG)
    assert "drop --zone" in refused.stderr
    assert check(folder, "--now", NOW_ARG).returncode == 0
