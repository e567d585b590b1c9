"""``audit``: live trust stores judged by the pack's policies, read from the in-process emulator.

Each test builds its zones through the real client, runs the command as the CLI parses it,
and reads what a user (or a monitor) reads: the exit status, the table, the JSON, the metrics.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from emulator import Emulator, EmulatorConfig
from emulator.transport import EmulatorTransport
from policies.audit.findings import AuditContext, audit_zone, coverage
from policies.audit.run import run
from policies.audit.snapshot import LiveEntry, ZoneSnapshot
from policies.cli import build_parser
from policies.commands.check import load_config
from policies.trust_rules.catalog import ALL_SPECS, AUDIT_SPECS
from policies.trust_rules.certificates import facts_from_text
from provider.client import TrustStoreClient
from provider.credentials import ApiToken
from provider.entries import EntryStatus, TrustStoreEntry
from provider.pacing import Pacer, RateLimit
from scripts.certs import NOW, expiring_in, root_ca
from tests.common import LOCAL_URL, ZONE_ID
from tests.unit.test_check_formats import sarif_validator

TOKEN = "audit-token-0123456789abcdef0123456789"
OTHER = "11111111111111111111111111111111"
EMPTY = "22222222222222222222222222222222"
DAY = dt.timedelta(days=1)


@pytest.fixture
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """This module's token; a test may parametrize a whole config indirectly."""
    param = getattr(request, "param", None)
    return param if isinstance(param, EmulatorConfig) else EmulatorConfig(token=TOKEN)


@pytest.fixture
def client(emulator_client: TrustStoreClient) -> TrustStoreClient:
    return emulator_client


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, object]:
        document: dict[str, object] = json.loads(self.stdout)
        return document

    def findings(self) -> list[dict[str, object]]:
        return self.json()["findings"]  # type: ignore[return-value]

    def policies(self) -> set[object]:
        return {finding["policy"] for finding in self.findings()}


def audit(client: TrustStoreClient, *argv: str, now: dt.datetime = NOW) -> Outcome:
    args = build_parser().parse_args(["audit", "--now", now.isoformat(), *argv])
    out, err = io.StringIO(), io.StringIO()
    status = run(args, client=client, out=out, err=err)
    return Outcome(status, out.getvalue(), err.getvalue())


def healthy_zone(client: TrustStoreClient, zone_id: str = ZONE_ID) -> TrustStoreEntry:
    return client.upload(zone_id, root_ca("Healthy Root").pem)


# --- exit status -------------------------------------------------------------------------------


def test_a_healthy_zone_exits_0_with_a_line_per_zone(client: TrustStoreClient) -> None:
    healthy_zone(client)
    result = audit(client, "--zone", ZONE_ID)
    assert result.status == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["STATE", "ZONE", "NAME"]
    assert lines[1].split()[:2] == ["ok", ZONE_ID]
    assert lines[-1] == "1 zone(s), 1 entries: 0 mandatory finding(s), 0 advisory finding(s)"


def test_a_mandatory_finding_exits_1_and_comes_first(client: TrustStoreClient) -> None:
    healthy_zone(client, OTHER)
    client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    result = audit(client, "--zone", OTHER, "--zone", ZONE_ID)
    assert result.status == 1
    lines = result.stdout.splitlines()
    assert lines[1].startswith("FAIL    mandatory  origin-ca-not-near-expiry")
    zone_lines = [line for line in lines if line.endswith(("yes", "no", "-"))]
    assert [line.split()[1] for line in zone_lines] == [ZONE_ID, OTHER]  # failing zone first
    assert lines[-1].startswith("2 zone(s), 2 entries: 2 mandatory finding(s)")


def test_an_advisory_finding_alone_exits_0(client: TrustStoreClient) -> None:
    client.upload(ZONE_ID, expiring_in(60 * DAY, "Soon Root").pem)
    client.upload(ZONE_ID, root_ca("Successor Root").pem)
    result = audit(client, "--zone", ZONE_ID, "--json")
    assert result.status == 0
    assert result.policies() == {"origin-ca-expiry-warning"}
    assert {f["level"] for f in result.findings()} == {"advisory"}


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ((), "no zones to audit: name them with --zone ID"),
        (("--zone", "not-a-zone"), "--zone 'not-a-zone' is not a Cloudflare id"),
        (("--zone", ZONE_ID, "--now", "yesterday"), "--now 'yesterday' is not an ISO 8601"),
        (("--zone", ZONE_ID, "--stack-state", "/nonexistent/state.json"), "cannot read"),
        (("--zone", ZONE_ID, "--rate-limit", "fast"), "--rate-limit is 'fast'"),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    client: TrustStoreClient, emulator: Emulator, argv: tuple[str, ...], said: str
) -> None:
    args = build_parser().parse_args(["audit", *argv])
    err = io.StringIO()
    status = run(args, client=None if "--rate-limit" in argv else client, err=err)
    assert status == 2
    assert said in err.getvalue()
    assert emulator.requests() == []


def test_a_config_typo_exits_2_naming_the_valid_settings(
    client: TrustStoreClient, emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"origin-ca-entry-status": {"stuckAfterMinute": 5}}))
    result = audit(client, "--zone", ZONE_ID, "--config", str(config))
    assert result.status == 2
    assert "origin-ca-entry-status has no setting stuckAfterMinute" in result.stderr
    assert "did you mean stuckAfterMinutes" in result.stderr
    assert emulator.requests() == []


def test_an_unknown_policy_in_the_config_exits_2(client: TrustStoreClient, tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"origin-ca-entry-stat": "advisory"}))
    result = audit(client, "--zone", ZONE_ID, "--config", str(config))
    assert result.status == 2
    assert "did you mean origin-ca-entry-status" in result.stderr


# --- finding kinds -----------------------------------------------------------------------------


def test_expired_status_is_a_mandatory_finding(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    expired = client.upload(ZONE_ID, expiring_in(2 * DAY, "Ending Root").pem)
    healthy_zone(client)
    emulator.advance_clock(3 * 86400)
    result = audit(client, "--zone", ZONE_ID, "--json", now=NOW + 3 * DAY)
    assert result.status == 1
    (finding,) = [f for f in result.findings() if f["policy"] == "origin-ca-entry-status"]
    assert finding["entryId"] == expired.id
    assert finding["level"] == "mandatory"
    assert "has Cloudflare status expired" in str(finding["message"])
    # Cloudflare's verdict is reported once, not again by origin-ca-not-expired.
    assert "origin-ca-not-expired" not in result.policies()


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, activation_delay=6 * 3600)], indirect=True
)
@pytest.mark.parametrize(
    ("minutes", "config", "stuck"),
    [(59, None, False), (61, None, True), (61, {"stuckAfterMinutes": 120}, False)],
)
def test_entries_stuck_before_active_after_stuck_after_minutes(
    client: TrustStoreClient,
    emulator: Emulator,
    tmp_path: Path,
    minutes: int,
    config: dict[str, int] | None,
    stuck: bool,
) -> None:
    entry = client.upload(ZONE_ID, root_ca("Slow Root").pem)
    emulator.advance_clock(minutes * 60)
    argv = ["--zone", ZONE_ID, "--json"]
    if config is not None:
        path = tmp_path / "policy.json"
        path.write_text(json.dumps({"origin-ca-entry-status": config}))
        argv += ["--config", str(path)]
    result = audit(client, *argv, now=NOW + dt.timedelta(minutes=minutes))
    status_findings = [f for f in result.findings() if f["policy"] == "origin-ca-entry-status"]
    assert bool(status_findings) is stuck
    if stuck:
        assert status_findings[0]["entryId"] == entry.id
        assert "still initializing 61 minutes after it was uploaded" in str(
            status_findings[0]["message"]
        )
        assert "delete it and upload the CA again" in str(status_findings[0]["message"])


def test_the_expired_status_advice_followed_leaves_a_healthy_zone(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    """The advice, to the letter: upload a valid successor root CA, then delete this entry."""
    expired = client.upload(ZONE_ID, expiring_in(2 * DAY, "Ending Root").pem)
    emulator.advance_clock(3 * 86400)
    later = NOW + 3 * DAY
    assert audit(client, "--zone", ZONE_ID, now=later).status == 1
    client.upload(ZONE_ID, root_ca("Successor Root").pem)
    client.delete(ZONE_ID, expired.id)
    followed = audit(client, "--zone", ZONE_ID, "--json", now=later)
    assert followed.status == 0, followed.stdout
    assert followed.findings() == []


def test_missing_credentials_exit_2_saying_what_to_set(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args(["audit", "--zone", ZONE_ID])
    err = io.StringIO()
    assert run(args, err=err) == 2
    assert "set CLOUDFLARE_API_TOKEN" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def _snapshot(*certificates: str) -> ZoneSnapshot:
    entries = []
    for number, pem in enumerate(certificates):
        api = TrustStoreEntry(
            id=f"{number + 1:032x}",
            certificate=pem,
            expires_on=NOW + 3650 * DAY,
            issuer="x",
            signature="SHA256WithRSA",
            status=EntryStatus.ACTIVE,
            updated_at=NOW,
            uploaded_on=NOW,
        )
        entries.append(LiveEntry.of(ZONE_ID, api))
    return ZoneSnapshot(ZONE_ID, None, tuple(entries))


def test_duplicates_are_a_mandatory_finding_on_the_second_entry() -> None:
    """The emulator refuses a second upload of one certificate as Cloudflare does today, but a
    store can still hold one twice (uploads before the check, a race): judged from a snapshot."""
    pem = root_ca("Twice Root").pem
    audited = audit_zone(_snapshot(pem, pem), AuditContext(load_config({}), NOW))
    (duplicate,) = [r for r in audited.problems if r.policy == "origin-ca-no-duplicates"]
    assert duplicate.target.entry_id == f"{2:032x}"
    assert "declared twice in zone 023e…c353" in duplicate.message


def test_zone_coverage_now_and_after_min_days(client: TrustStoreClient) -> None:
    client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    client.upload(ZONE_ID, expiring_in(20 * DAY, "Shorter Successor").pem)
    client.upload(OTHER, expiring_in(10 * DAY, "Lonely Root").pem)
    client.upload(OTHER, root_ca("Long Successor").pem)
    result = audit(client, "--zone", ZONE_ID, "--zone", OTHER, "--json")
    zones = {z["id"]: z for z in result.json()["zones"]}  # type: ignore[attr-defined]
    assert zones[ZONE_ID]["coverage"] == {
        "usableCAs": 2,
        "usableCAsAfterMinDays": 0,
        "minDaysRemaining": 30,
        "earliestExpiry": (NOW + 10 * DAY).isoformat(),
        "successorExists": True,
    }
    assert zones[OTHER]["coverage"]["usableCAsAfterMinDays"] == 1
    coverage = [f for f in result.findings() if f["policy"] == "origin-ca-zone-coverage"]
    assert [f["zoneId"] for f in coverage] == [ZONE_ID]
    assert str(coverage[0]["message"]).startswith("Live zone 023e…c353 keeps 0 CA(s) valid")


def test_coverage_allows_the_configured_clock_skew() -> None:
    """A CA whose notBefore is 10 minutes ahead counts once clockSkewSeconds allows it, as
    origin-ca-zone-coverage itself counts it (the default allows 5 minutes)."""
    earliest = expiring_in(60 * DAY, "Expiring Root").pem
    successor = root_ca("Backdated Successor", not_before=NOW + dt.timedelta(minutes=10)).pem
    snapshot = _snapshot(earliest, successor)
    default = coverage(snapshot, AuditContext(load_config({}), NOW))
    assert (default.usable_now, default.usable_after, default.successor_exists) == (1, 1, False)
    lenient = load_config({"origin-ca-zone-coverage": {"clockSkewSeconds": 900}})
    allowed = coverage(snapshot, AuditContext(lenient, NOW))
    assert (allowed.usable_now, allowed.usable_after, allowed.successor_exists) == (2, 2, True)


def test_rotation_without_successor_is_reported(client: TrustStoreClient) -> None:
    lonely = client.upload(ZONE_ID, expiring_in(60 * DAY, "Lonely Root").pem)
    result = audit(client, "--zone", ZONE_ID, "--json")
    (rotation,) = [f for f in result.findings() if f["policy"] == "origin-ca-rotation-ready"]
    assert rotation["entryId"] == lonely.id
    zone = result.json()["zones"][0]  # type: ignore[index]
    assert zone["coverage"]["successorExists"] is False


def test_a_disabled_policy_is_not_run(client: TrustStoreClient, tmp_path: Path) -> None:
    client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"all": "disabled"}))
    result = audit(client, "--zone", ZONE_ID, "--json", "--config", str(config))
    assert result.status == 0
    assert result.findings() == []


# --- drift -------------------------------------------------------------------------------------


def stack_export(*resources: tuple[str, str, str]) -> dict[str, object]:
    """A minimal ``pulumi stack export``: (resource name, zone id, entry id) per resource."""
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": f"urn:pulumi:prod::edge::pulumi-python:dynamic/cloudflare:"
                    f"CustomOriginTrustStore::{name}",
                    "custom": True,
                    "id": entry_id,
                    "type": "pulumi-python:dynamic/cloudflare:CustomOriginTrustStore",
                    "inputs": {"zoneId": zone_id},
                    "outputs": {"zoneId": zone_id},
                }
                for name, zone_id, entry_id in resources
            ]
        },
    }


def test_drift_marks_managed_unmanaged_and_missing_entries(
    client: TrustStoreClient, tmp_path: Path
) -> None:
    managed = client.upload(ZONE_ID, root_ca("Managed Root").pem)
    by_hand = client.upload(ZONE_ID, root_ca("Hand Root").pem)
    gone = "ab" * 16
    state = tmp_path / "prod.json"
    state.write_text(
        json.dumps(stack_export(("ca-managed", ZONE_ID, managed.id), ("ca-gone", ZONE_ID, gone)))
    )
    # Only --stack-state: the stack's zones are audited.
    result = audit(client, "--stack-state", str(state), "--json")
    assert result.status == 1  # the missing entry is mandatory
    entries = {e["id"]: e for e in result.json()["zones"][0]["entries"]}  # type: ignore[index]
    assert entries[managed.id]["managedBy"] == {
        "stack": "edge/prod",
        "resource": "ca-managed",
        "urn": "urn:pulumi:prod::edge::pulumi-python:dynamic/cloudflare:"
        "CustomOriginTrustStore::ca-managed",
        "stateFile": str(state),
    }
    assert entries[by_hand.id]["managedBy"] is None
    by_policy = {f["policy"]: f for f in result.findings()}
    assert by_policy["origin-ca-unmanaged-entry"]["entryId"] == by_hand.id
    assert by_policy["origin-ca-unmanaged-entry"]["level"] == "advisory"
    missing = by_policy["origin-ca-missing-entry"]
    assert missing["entryId"] == gone
    assert "Run `pulumi refresh` on stack edge/prod" in str(missing["message"])


def test_without_stack_state_nothing_is_called_unmanaged(client: TrustStoreClient) -> None:
    healthy_zone(client)
    result = audit(client, "--zone", ZONE_ID, "--json")
    assert result.findings() == []


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not valid JSON"),
        ('{"version": 3}', "no 'deployment' object"),
        ('{"deployment": {"resources": 5}}', "'deployment.resources' is not a list"),
    ],
)
def test_a_bad_state_file_exits_2_naming_it(
    client: TrustStoreClient, tmp_path: Path, content: str, said: str
) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    result = audit(client, "--zone", ZONE_ID, "--stack-state", str(state))
    assert result.status == 2
    assert f"stack state {state}" in result.stderr
    assert said in result.stderr
    assert "pulumi stack export" in result.stderr


# --- zones, errors, requests -------------------------------------------------------------------


def test_all_zones_lists_then_reads_every_zone_only_with_gets(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    healthy_zone(client, ZONE_ID)
    healthy_zone(client, OTHER)
    emulator.declare_zone(EMPTY, "empty.example.com")
    emulator.clear_requests()
    result = audit(client, "--all-zones", "--json")
    assert result.status == 0
    assert {z["id"] for z in result.json()["zones"]} == {ZONE_ID, OTHER, EMPTY}  # type: ignore[attr-defined]
    requests = emulator.requests()
    assert {r["method"] for r in requests} == {"GET"}
    # One listing page plus one page per store.
    assert len(requests) == 1 + 3


def test_one_failing_zone_exits_2_and_the_others_are_reported(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    healthy_zone(client, ZONE_ID)
    healthy_zone(client, OTHER)
    emulator.add_fault("error", status=500, count=10, path_contains=OTHER)
    result = audit(client, "--zone", ZONE_ID, "--zone", OTHER, "--json")
    assert result.status == 2
    document = result.json()
    zones = {z["id"]: z for z in document["zones"]}  # type: ignore[attr-defined]
    assert len(zones[ZONE_ID]["entries"]) == 1
    assert zones[OTHER]["coverage"] is None
    assert "HTTP 500" in zones[OTHER]["error"]
    (error,) = document["errors"]  # type: ignore[misc]
    assert error["zoneId"] == OTHER
    assert f"error: zone {OTHER}: Cloudflare trust store list" in result.stderr
    table = audit(client, "--zone", ZONE_ID, "--zone", OTHER)
    assert "ERROR" in table.stdout.splitlines()[-3] or any(
        line.startswith("ERROR") and OTHER in line for line in table.stdout.splitlines()
    )


def test_zones_without_acm_are_skipped_by_all_zones_but_an_error_when_named(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    healthy_zone(client, ZONE_ID)
    emulator.declare_zone(OTHER, "no-acm.example.com")
    emulator.set_acm_enabled(OTHER, False)
    listed = audit(client, "--all-zones", "--json")
    assert listed.status == 0, listed.stderr
    zones = {z["id"]: z for z in listed.json()["zones"]}  # type: ignore[attr-defined]
    assert zones[OTHER]["acmEnabled"] is False
    assert zones[OTHER]["coverage"] is None
    assert listed.json()["errors"] == []
    table = audit(client, "--all-zones")
    assert any(line.startswith("no ACM") and OTHER in line for line in table.stdout.splitlines())
    named = audit(client, "--zone", OTHER)
    assert named.status == 2
    assert "Advanced Certificate Manager" in named.stderr


def test_a_failing_zone_listing_still_audits_the_named_zones(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    healthy_zone(client, ZONE_ID)
    emulator.add_fault("error", status=403, count=1, method="GET", path_contains="/v4/zones")
    result = audit(client, "--all-zones", "--zone", ZONE_ID, "--json")
    assert result.status == 2
    document = result.json()
    assert [z["id"] for z in document["zones"]] == [ZONE_ID]  # type: ignore[attr-defined]
    (error,) = document["errors"]  # type: ignore[misc]
    assert error["zoneId"] is None
    assert "Zone Read" in error["message"]
    assert "error: zone listing:" in result.stderr


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, rate_limit=(60, 3.0))], indirect=True
)
def test_paced_below_the_emulators_rate_limit_without_a_429_storm(emulator: Emulator) -> None:
    for number in range(60):
        emulator.declare_zone(f"{number + 1:032x}")
    emulator.clear_requests()
    pacer = Pacer(RateLimit(60, 3.0))
    with TrustStoreClient(
        ApiToken(TOKEN),
        base_url=LOCAL_URL,
        transport=EmulatorTransport(emulator),
        pacer=pacer,
    ) as paced:
        result = audit(paced, "--all-zones", "--concurrency", "16", "--json")
    assert result.status == 0, result.stderr
    assert len(result.json()["zones"]) == 60  # type: ignore[arg-type]
    statuses = [r["status"] for r in emulator.requests()]
    # Two listing pages and one page per zone; a thread descheduled between its token and its
    # request can land one late in the emulator's 3-second window, never a storm.
    assert statuses.count(429) <= 2
    assert len(statuses) == 2 + 60 + statuses.count(429)


# --- outputs -----------------------------------------------------------------------------------

ZONE_KEYS = {"id", "name", "error", "acmEnabled", "coverage", "entries"}
ENTRY_KEYS = {
    "id",
    "status",
    "subject",
    "fingerprintSha256",
    "notBefore",
    "notAfter",
    "daysRemaining",
    "uploadedOn",
    "managedBy",
}
FINDING_KEYS = {"policy", "level", "zoneId", "entryId", "message"}
COVERAGE_KEYS = {
    "usableCAs",
    "usableCAsAfterMinDays",
    "minDaysRemaining",
    "earliestExpiry",
    "successorExists",
}


def test_json_schema_is_pinned(client: TrustStoreClient) -> None:
    """Monitors parse this: a key is renamed or removed only with a schemaVersion bump."""
    entry = client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    document = audit(client, "--zone", ZONE_ID, "--json").json()
    assert list(document) == [
        "schemaVersion",
        "tool",
        "now",
        "zones",
        "findings",
        "errors",
        "summary",
    ]
    assert document["schemaVersion"] == 1
    (zone,) = document["zones"]  # type: ignore[misc]
    assert set(zone) == ZONE_KEYS
    assert set(zone["coverage"]) == COVERAGE_KEYS
    (listed,) = zone["entries"]
    assert set(listed) == ENTRY_KEYS
    assert listed["id"] == entry.id
    assert listed["daysRemaining"] == 10
    assert listed["subject"] == "CN=Short Root,O=Example Origin"
    assert listed["notAfter"] == (NOW + 10 * DAY).isoformat()
    for finding in document["findings"]:  # type: ignore[attr-defined]
        assert set(finding) == FINDING_KEYS
    assert set(document["summary"]) == {  # type: ignore[arg-type]
        "zones",
        "entries",
        "mandatoryFindings",
        "advisoryFindings",
        "errors",
    }


def test_json_flag_is_format_json(client: TrustStoreClient) -> None:
    healthy_zone(client)
    assert (
        audit(client, "--zone", ZONE_ID, "--json").stdout
        == audit(client, "--zone", ZONE_ID, "--format", "json").stdout
    )


def test_sarif_rules_come_from_the_catalog_and_validate(client: TrustStoreClient) -> None:
    client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    result = audit(client, "--zone", ZONE_ID, "--format", "sarif")
    document = json.loads(result.stdout)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [s.name for s in (*ALL_SPECS, *AUDIT_SPECS)]
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"origin-ca-not-near-expiry"}
    sarif_validator().validate(document)


def test_sarif_says_a_run_with_an_unreadable_zone_did_not_succeed(
    client: TrustStoreClient, emulator: Emulator
) -> None:
    healthy_zone(client, ZONE_ID)
    healthy_zone(client, OTHER)
    document = json.loads(audit(client, "--zone", ZONE_ID, "--format", "sarif").stdout)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []
    emulator.add_fault("error", status=500, count=10, path_contains=OTHER)
    result = audit(client, "--zone", ZONE_ID, "--zone", OTHER, "--format", "sarif")
    assert result.status == 2
    document = json.loads(result.stdout)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith(f"zone {OTHER}: ")
    assert "HTTP 500" in notification["message"]["text"]
    assert f"error: {notification['message']['text']}" in result.stderr
    sarif_validator().validate(document)  # last: it skips where the official schema is absent


def test_junit_and_github_formats(client: TrustStoreClient) -> None:
    client.upload(ZONE_ID, expiring_in(10 * DAY, "Short Root").pem)
    junit = audit(client, "--zone", ZONE_ID, "--format", "junit")
    assert junit.status == 1
    assert '<testsuite name="origin-ca-not-near-expiry"' in junit.stdout
    github = audit(client, "--zone", ZONE_ID, "--format", "github")
    assert github.stdout.startswith("::error title=origin-ca-not-near-expiry (entry ")


def test_prometheus_file_parses_with_labels_and_values(
    client: TrustStoreClient, tmp_path: Path
) -> None:
    odd_pem = expiring_in(10 * DAY, 'Quote "Root" \\ CA').pem
    odd = client.upload(ZONE_ID, odd_pem)
    client.upload(ZONE_ID, root_ca("Long Root").pem)
    target = tmp_path / "trust_store.prom"
    target.write_text("old content\n")
    result = audit(client, "--zone", ZONE_ID, "--prometheus", str(target))
    assert result.status == 1
    families = {f.name: f for f in text_string_to_metric_families(target.read_text())}
    prefix = "cf_origin_trust_store_"
    not_after = {s.labels["entry_id"]: s for s in families[prefix + "entry_not_after"].samples}
    sample = not_after[odd.id]
    # RFC 4514 escapes the quotes and backslash; the label carries that text exactly.
    assert sample.labels["subject"] == facts_from_text(odd_pem).subject
    assert '"Root\\"' in sample.labels["subject"]
    assert sample.labels["zone_id"] == ZONE_ID
    assert len(sample.labels["fingerprint"]) == 64
    assert sample.value == (NOW + 10 * DAY).timestamp()
    left = {
        s.labels["entry_id"]: s.value for s in families[prefix + "entry_expires_in_seconds"].samples
    }
    assert left[odd.id] == 10 * 86400
    status = [
        s for s in families[prefix + "entry_status"].samples if s.labels["entry_id"] == odd.id
    ]
    assert {s.labels["status"]: s.value for s in status}["active"] == 1
    assert sum(s.value for s in status) == 1
    zone = {
        f: families[prefix + f].samples[0].value
        for f in ("zone_usable_cas", "zone_earliest_expiry")
    }
    assert zone == {"zone_usable_cas": 2, "zone_earliest_expiry": (NOW + 10 * DAY).timestamp()}
    assert families[prefix + "audit_timestamp_seconds"].samples[0].value == NOW.timestamp()
    assert families[prefix + "audit_errors"].samples[0].value == 0
    for family in families.values():
        assert family.type == "gauge"
        assert family.documentation
    assert [p.name for p in tmp_path.iterdir()] == ["trust_store.prom"]  # no temporary left


def test_prometheus_counts_errors_and_keeps_other_zones(
    client: TrustStoreClient, emulator: Emulator, tmp_path: Path
) -> None:
    healthy_zone(client, ZONE_ID)
    emulator.add_fault("error", status=500, count=10, path_contains=OTHER)
    target = tmp_path / "trust_store.prom"
    assert (
        audit(client, "--zone", ZONE_ID, "--zone", OTHER, "--prometheus", str(target)).status == 2
    )
    families = {f.name: f for f in text_string_to_metric_families(target.read_text())}
    prefix = "cf_origin_trust_store_"
    assert families[prefix + "audit_errors"].samples[0].value == 1
    read_errors = {
        s.labels["zone_id"]: s.value for s in families[prefix + "zone_read_error"].samples
    }
    assert read_errors == {ZONE_ID: 0, OTHER: 1}
    assert len(families[prefix + "entry_not_after"].samples) == 1


def test_an_unwritable_prometheus_file_exits_2_and_still_reports(
    client: TrustStoreClient, tmp_path: Path
) -> None:
    healthy_zone(client)
    target = tmp_path / "missing-folder" / "trust_store.prom"
    result = audit(client, "--zone", ZONE_ID, "--prometheus", str(target))
    assert result.status == 2
    assert "cannot write it" in result.stderr
    assert "ok" in result.stdout


def test_days_remaining_is_negative_once_expired(client: TrustStoreClient) -> None:
    client.upload(ZONE_ID, expiring_in(2 * DAY, "Ending Root").pem)
    document = audit(client, "--zone", ZONE_ID, "--json", now=NOW + 5 * DAY).json()
    (entry,) = document["zones"][0]["entries"]  # type: ignore[index]
    assert entry["daysRemaining"] == -3
    assert not math.isnan(entry["daysRemaining"])
