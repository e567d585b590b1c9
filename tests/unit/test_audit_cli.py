"""``cf-origin-trust-store audit`` as a user runs it: a child process, credentials from the
environment, a real emulator server on loopback; and inputs that try to break it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from emulator.server import EmulatorServer
from scripts.certs import NOW, expiring_in, root_ca
from tests.common import TOKEN, ZONE_ID, run_audit

OTHER = "9a7806061c88ada191ed06f989cc3dac"


def cli(server: EmulatorServer, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    credentials = {"CLOUDFLARE_BASE_URL": server.base_url, "CLOUDFLARE_API_TOKEN": TOKEN}
    return run_audit("--now", NOW.isoformat(), *argv, env=credentials | env)


def test_the_cli_audits_every_zone_over_a_real_socket(
    emulator_server: EmulatorServer, tmp_path: Path
) -> None:
    store = emulator_server.emulator.store
    store.upload(ZONE_ID, root_ca("Socket Root").pem)
    store.upload(OTHER, expiring_in(dt.timedelta(days=5), "Socket Short Root").pem)
    emulator_server.emulator.clear_requests()
    metrics = tmp_path / "audit.prom"
    done = cli(emulator_server, "--all-zones", "--json", "--prometheus", str(metrics))
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert {zone["id"] for zone in document["zones"]} == {ZONE_ID, OTHER}
    assert {f["zoneId"] for f in document["findings"] if f["level"] == "mandatory"} == {OTHER}
    names = {family.name for family in text_string_to_metric_families(metrics.read_text())}
    assert "cf_origin_trust_store_zone_usable_cas" in names
    log = emulator_server.emulator.requests()
    assert [r["method"] for r in log] == ["GET"] * 3  # the listing, then each store
    assert TOKEN not in done.stdout + done.stderr


def test_an_unreachable_api_exits_2_naming_what_to_check(tmp_path: Path) -> None:
    environment = {
        "CLOUDFLARE_BASE_URL": "http://127.0.0.1:9/client/v4",
        "CLOUDFLARE_API_TOKEN": "unreachable-token-0123456789",
        "CLOUDFLARE_RATE_LIMIT": "off",
    }
    done = run_audit("--zone", ZONE_ID, env=environment, timeout=300)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: zone {ZONE_ID}: Cloudflare trust store list")
    assert "CLOUDFLARE_BASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert "ERROR" in done.stdout


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("[" * 100_000, "not valid JSON"),
        ('{"deployment": {"resources": [{"type": 5}, "x", null]}}', None),
        (
            json.dumps(
                {
                    "deployment": {
                        "resources": [
                            {
                                "type": "pulumi-python:dynamic/cloudflare:CustomOriginTrustStore",
                                "urn": "not-a-urn",
                                "id": "ab",
                                "outputs": {"zoneId": ZONE_ID},
                            }
                        ]
                    }
                }
            ),
            None,
        ),
    ],
)
def test_hostile_state_files_are_refused_or_ignored_in_bounded_time(
    tmp_path: Path, content: str, said: str | None
) -> None:
    from policies.audit.stack_state import StackStateError, read_stack_states

    state = tmp_path / "state.json"
    state.write_text(content)
    if said is None:
        assert read_stack_states([state]) == {}
    else:
        with pytest.raises(StackStateError, match=said):
            read_stack_states([state])


def test_a_state_file_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    from policies.audit.stack_state import StackStateError, read_stack_states

    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)
    with pytest.raises(StackStateError, match="named pipe"):
        read_stack_states([fifo])
