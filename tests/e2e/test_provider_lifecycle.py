"""Lifecycle safety on the real engine: no ordinary sequence of actions empties, orphans or
deadlocks a zone's trust store (issue 8), and asynchronous deletion converges.

Each test is one stack walked through a sequence of actions, following each error message's
advice to the letter; the emulator's state and request log are the witnesses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from policies.trust_rules import certificates
from policies.trust_rules.resource_type import DYNAMIC_TYPE
from scripts.certs import CertSpec, build, expiring_in, root_ca
from tests.fixtures.stack import API_TOKEN, STACK_PROGRAM, StackFactory, TrustStoreStack

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)

#: The stack program as it was when resource names came from file names (``ca-<stem>``).
LEGACY_PROGRAM = """
    import pathlib

    import pulumi

    from provider.resource import CustomOriginTrustStore, CustomOriginTrustStoreArgs

    config = pulumi.Config()
    for path in sorted(pathlib.Path("cas").glob("*.pem")):
        CustomOriginTrustStore(
            f"ca-{path.stem}",
            CustomOriginTrustStoreArgs(
                zone_id=config.require("zoneId"),
                certificate=path.read_text(),
                adopt_existing=config.get_bool("adoptExisting"),
            ),
        )
"""

#: The same CA declared twice in one zone, the second asking to adopt.
TWICE_PROGRAM = """
    import pathlib

    import pulumi

    from provider.resource import CustomOriginTrustStore, CustomOriginTrustStoreArgs

    config = pulumi.Config()
    pem = pathlib.Path("cas/shared.pem").read_text()
    one = CustomOriginTrustStore(
        "one", CustomOriginTrustStoreArgs(zone_id=config.require("zoneId"), certificate=pem)
    )
    if config.get_bool("declareTwice"):
        CustomOriginTrustStore(
            "two",
            CustomOriginTrustStoreArgs(
                zone_id=config.require("zoneId"), certificate=pem, adopt_existing=True
            ),
            pulumi.ResourceOptions(depends_on=[one]),
        )
"""


def use_program(stack: TrustStoreStack, program: str) -> None:
    (stack.workspace.project_dir / "__main__.py").write_text(textwrap.dedent(program))


def changes(stack: TrustStoreStack) -> list[str]:
    """The API calls that changed the zone (a successful POST or DELETE), since the log was
    cleared."""
    return [
        r["method"]
        for r in stack.api_requests()
        if r["method"] != "GET" and (r["status"] or r.get("applied_status")) == 200
    ]


def live_ids(stack: TrustStoreStack) -> set[str]:
    return {e["id"] for e in stack.live_entries() if e["status"] == "active"}


def test_renames_never_empty_a_zone_and_neither_do_destroy_nor_duplicates(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    use_program(stack, LEGACY_PROGRAM)
    stack.write_ca("a", root_ca("Root A").pem)
    stack.write_ca("b", root_ca("Root B").pem)
    stack.workspace.up()
    deployed = live_ids(stack)
    assert len(deployed) == 2

    # Hole 1 as found: with names from files, a rename is a new resource claiming a live entry.
    (stack.certs_dir / "a.pem").rename(stack.certs_dir / "z.pem")
    stack.written["z"] = stack.written.pop("a")
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "no resource kept in this deployment manages it" in refused.output, refused
    assert "Traceback" not in refused.output, "an expected failure shows our message alone"
    assert live_ids(stack) == deployed
    # Its advice, followed to the letter, hands the entry over: the old resource's delete
    # leaves it in place, and the zone never holds fewer CAs.
    stack.workspace.set_config("adoptExisting", "true")
    stack.control.clear_requests()
    adopted = stack.workspace.up()
    assert "- 1 deleted" in adopted.output, adopted
    assert changes(stack) == [], "nothing uploaded, nothing deleted"
    assert live_ids(stack) == deployed
    assert set(stack.entries_in_state()) == {"ca-z", "ca-b"}

    # The current program names entries by zone and certificate, and migrates the old names
    # (aliases) without an API call or a replacement ...
    use_program(stack, STACK_PROGRAM)
    stack.control.clear_requests()
    migrated = stack.workspace.up()
    assert changes(stack) == [], migrated
    assert set(stack.entries_in_state()) == {stack.resource_name("z"), stack.resource_name("b")}
    assert {r["id"] for r in stack.entries_in_state().values()} == deployed
    # ... after which renaming or moving a CA file is no change at all.
    (stack.certs_dir / "z.pem").rename(stack.certs_dir / "renamed.pem")
    stack.control.clear_requests()
    renamed = stack.workspace.up()
    assert stack.api_requests() == [], renamed
    assert "3 unchanged" in renamed.output, renamed

    # The same CA in two files of the zone is refused before deployment.
    (stack.certs_dir / "copy.pem").write_text(stack.written["b"])
    twice = stack.workspace.preview(check=False)
    assert twice.returncode != 0
    assert "hold the same CA" in twice.output, twice
    (stack.certs_dir / "copy.pem").unlink()

    # Destroy never removes a zone's last usable CA without the opt-in ...
    stack.control.clear_requests()
    destroy = stack.workspace.destroy(check=False)
    assert destroy.returncode != 0
    assert "it is the zone's last usable CA" in destroy.output, destroy
    assert "Traceback" not in destroy.output
    assert len(live_ids(stack)) == 1, "parallel deletes left exactly one CA"
    # ... and its advice, followed to the letter, leaves the zone empty as asked.
    stack.workspace.set_config("allowEmptyZone", "true")
    stack.workspace.up()
    stack.workspace.destroy()
    assert stack.live_entries() == []
    assert stack.workspace.resources(DYNAMIC_TYPE) == []


def test_an_entry_another_resource_manages_is_never_adopted(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    use_program(stack, TWICE_PROGRAM)
    stack.write_ca("shared", root_ca("Shared Root").pem)
    stack.workspace.set_config("declareTwice", "true")
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "another resource of this stack manages it" in refused.output, refused
    assert "Remove one of the two declarations" in refused.output
    assert len(live_ids(stack)) == 1
    # The advice, followed: one declaration, one entry, one resource.
    stack.workspace.set_config("declareTwice", "false")
    stack.workspace.up()
    assert len(live_ids(stack)) == 1
    [record] = stack.workspace.resources(DYNAMIC_TYPE)
    assert record["id"] in live_ids(stack)


def test_expected_failures_show_our_message_alone_and_stale_settings_are_explained(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack(credentials_in="config")
    stack.write_ca("root", root_ca("Token Root").pem)
    stack.workspace.up()

    stack.workspace.set_config("cloudflare:apiToken", "wrong-token-0123456789", secret=True)
    stack.write_ca("second", root_ca("Second Token Root").pem)
    failed = stack.workspace.up(check=False)
    assert failed.returncode != 0
    assert "HTTP 401" in failed.output or "HTTP 403" in failed.output, failed
    for frame in ("Traceback", "httpx", "tenacity", "concurrent/futures", 'File "'):
        assert frame not in failed.output, failed.output
    (stack.certs_dir / "second.pem").unlink()

    # Fixed in config, but refresh runs with the settings the last up stored:
    stack.workspace.set_config("cloudflare:apiToken", API_TOKEN, secret=True)
    stale = stack.workspace.refresh(check=False)
    assert stale.returncode != 0, stale
    assert "pulumi refresh --run-program" in stale.output, stale
    assert "Traceback" not in stale.output
    # The advice, followed: the fixed settings take effect.
    stack.workspace.refresh("--run-program")
    stack.workspace.up()
    assert len(live_ids(stack)) == 1


def start_up(stack: TrustStoreStack) -> subprocess.Popen[str]:
    """``pulumi up`` in the background, so that it can be killed mid-step."""
    return subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", stack.workspace.stack],
        cwd=stack.workspace.project_dir,
        env=stack.workspace.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (read from /proc: no extra dependency)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_during(stack: TrustStoreStack, method: str) -> None:
    """SIGKILL the CLI while the emulator holds a ``method`` request (a delay fault), then let
    that request finish on the server, as Cloudflare would."""
    stack.control.clear_requests()
    stack.control.add_fault("delay", delay_seconds=3, count=1, method=method)
    cli = start_up(stack)
    deadline = time.monotonic() + 120
    while not any(r["fault"] == "delay" for r in stack.api_requests()):
        assert time.monotonic() < deadline, "the delayed request never came"
        assert cli.poll() is None, "the CLI ended before the delayed request"
        time.sleep(0.1)
    plugins = descendants(cli.pid)
    cli.send_signal(signal.SIGKILL)
    cli.wait()
    while not all(r["status"] is not None for r in stack.api_requests()):
        assert time.monotonic() < deadline, "the delayed request never finished"
        time.sleep(0.1)
    # The killed CLI's plugins (language host, dynamic provider) outlive it until their health
    # check gives up; end them, as the end of a CI job would, so no test leaves processes.
    for pid in plugins:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def recover(stack: TrustStoreStack, *, orphaned: bool) -> None:
    """The recovery docs/provider.md gives under "If a deployment was interrupted"."""
    stack.workspace.run("cancel", "--yes", "--stack", stack.workspace.stack)
    stack.workspace.refresh("--clear-pending-creates")
    attempt = stack.workspace.up(check=False)
    if not orphaned:
        assert attempt.returncode == 0, attempt
        return
    # The entry the killed run uploaded is found, and the error names the recovery ...
    assert attempt.returncode != 0
    assert "If a deployment was interrupted" in attempt.output, attempt
    # ... whose last steps adopt it once.
    stack.workspace.set_config("adoptExisting", "true")
    stack.workspace.up()
    stack.workspace.run("config", "rm", "adoptExisting", "--stack", stack.workspace.stack)


def assert_converged(stack: TrustStoreStack, *stems: str) -> None:
    """The zone holds exactly the wanted CAs, once each, all in state: no orphan, no duplicate."""
    live = [e for e in stack.live_entries() if e["status"] not in ("pending_deletion", "deleted")]
    state = stack.entries_in_state()
    assert set(state) == {stack.resource_name(stem) for stem in stems}, state
    assert sorted(e["id"] for e in live) == sorted(r["id"] for r in state.values()), live


def test_a_killed_up_converges_by_the_documented_recovery(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    stack.write_ca("first", root_ca("First Kill Root").pem)
    kill_during(stack, "POST")  # mid-create: the entry lands, the state never hears of it
    recover(stack, orphaned=True)
    assert_converged(stack, "first")

    (stack.certs_dir / "first.pem").unlink()
    stack.write_ca("second", root_ca("Second Kill Root").pem)
    kill_during(stack, "POST")  # mid-rotation: the successor lands unrecorded
    recover(stack, orphaned=True)
    assert_converged(stack, "second")

    (stack.certs_dir / "second.pem").unlink()
    stack.write_ca("third", root_ca("Third Kill Root").pem)
    kill_during(stack, "DELETE")  # mid-delete of the old CA, after its successor is recorded
    recover(stack, orphaned=False)
    assert_converged(stack, "third")


def dated_ca(name: str, *, valid_for: dt.timedelta) -> str:
    """A root CA dated from the real clock, which the policy pack reads."""
    now = dt.datetime.now(dt.UTC)
    return build(
        CertSpec(common_name=name, not_before=now - 300 * DAY, not_after=now + valid_for)
    ).pem


def test_a_deployed_ca_in_the_window_never_blocks_its_fix_but_new_short_ones_stay_refused(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    stack.write_ca("aging", dated_ca("Aging Root", valid_for=20 * DAY))
    stack.workspace.up()  # deployed long ago; it has entered the 30-day window since
    packs = [policy_pack_dir]

    stack.write_ca("successor", dated_ca("Successor Root", valid_for=700 * DAY))
    fix = stack.workspace.preview(policy_packs=packs)
    assert "[mandatory]" not in fix.output, fix
    assert "ALREADY DEPLOYED: CA 'Aging Root'" in fix.output, fix

    stack.write_ca("short", dated_ca("Short Root", valid_for=20 * DAY))
    for attempt in (
        stack.workspace.preview(policy_packs=packs, check=False),
        stack.workspace.up_with_policies(policy_packs=packs, check=False),
        stack.workspace.up_with_policies("--skip-preview", policy_packs=packs, check=False),
    ):
        assert attempt.returncode != 0, attempt
        assert "this CA is too short-lived to deploy" in attempt.output, attempt
        assert "CA 'Short Root'" in attempt.output
        assert "CA 'Aging Root'" not in attempt.output.split("this CA is too short-lived")[0][-300:]
    # The short-lived CA never reached the zone; the successor, which passes, did go through
    # in `up --skip-preview` (resource policies judge each resource before its create).
    short = certificates.facts_from_text(stack.written["short"]).sha256_fingerprint
    assert short not in {e["fingerprint_sha256"] for e in stack.live_entries()}

    (stack.certs_dir / "short.pem").unlink()
    stack.workspace.up_with_policies(policy_packs=packs)
    assert len(stack.live_entries()) == 2


def test_rotation_waits_for_active_and_asynchronous_deletion_converges(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack(emulator_args=["--activation-delay", "3", "--deletion-delay", "8"])
    stack.write_ca("origin", root_ca("Rotating Root 1").pem)
    stack.workspace.up()
    stack.control.advance_clock(5)  # active

    # Rotation: the old CA, the zone's only active one, is deleted only once the new is active.
    (stack.certs_dir / "origin.pem").unlink()
    stack.write_ca("next", root_ca("Rotating Root 2").pem)
    stack.control.clear_requests()
    stack.workspace.up()
    log = stack.api_requests()
    [post] = [r for r in log if r["method"] == "POST"]
    [delete] = [r for r in log if r["method"] == "DELETE"]
    waited = dt.datetime.fromisoformat(delete["time"]) - dt.datetime.fromisoformat(post["time"])
    assert waited >= dt.timedelta(seconds=3), log
    assert sorted(e["status"] for e in stack.live_entries()) == ["active", "pending_deletion"]

    # Destroy, then up again while the old entries are still pending deletion; Cloudflare is
    # reported to refuse such a re-upload with 409: the create waits for the deletion instead.
    stack.workspace.set_config("allowEmptyZone", "true")
    stack.workspace.up()
    stack.workspace.destroy()
    leaving = {e["status"] for e in stack.live_entries()}
    assert leaving, "the deletion is still under way"
    assert leaving <= {"pending_deletion", "deleted"}, leaving
    stack.control.add_fault("error", status=409, count=1, method="POST")
    stack.control.clear_requests()
    again = stack.workspace.up()
    assert "+ 2 created" in again.output, again
    assert [r["status"] for r in stack.api_requests() if r["method"] == "POST"] == [409, 200]
    assert_converged(stack, "next")

    # An expired entry never counts as the zone's CA: removing the only valid one is refused.
    stack.workspace.set_config("allowEmptyZone", "false")
    stack.write_ca("brief", expiring_in(dt.timedelta(days=10), "Brief Root").pem)
    stack.workspace.up()
    stack.control.advance_clock(11 * 86400)
    refreshed = stack.workspace.refresh()
    assert stack.entries_in_state()[stack.resource_name("brief")]["outputs"]["status"] == (
        "expired"
    ), refreshed
    (stack.certs_dir / "next.pem").unlink()
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "it is the zone's last usable CA" in refused.output, refused


def test_the_pack_reports_the_real_reason_a_check_refused(
    trust_store_stack: StackFactory, policy_pack_dir: Path
) -> None:
    stack = trust_store_stack()
    stack.write_ca("bundle", root_ca("Bundled A").pem + root_ca("Bundled B").pem)
    run = stack.workspace.preview(policy_packs=[policy_pack_dir], check=False)
    assert run.returncode != 0
    assert "origin-ca-well-formed" in run.output, run
    assert "found 2 certificates" in run.output.split("origin-ca-well-formed", 1)[1][:600]
    assert "certificate is missing" not in run.output
