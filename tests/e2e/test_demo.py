"""`make demo` is the main job: it must keep working end to end, as a new user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.pulumi import REPO_ROOT

pytestmark = pytest.mark.e2e


def run_demo(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.demo", "--folder", str(folder)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_demo_deploys_rotates_refreshes_and_destroys_on_the_emulator(
    tmp_path: Path, pulumi_env: dict[str, str]
) -> None:
    folder = tmp_path / "demo"
    # A real-looking account in the caller's shell must not be used: the demo scrubs it.
    env = dict(pulumi_env, CLOUDFLARE_API_TOKEN="must-not-be-used", CLOUDFLARE_BASE_URL="x")

    done = run_demo(folder, env)

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Emulated Cloudflare API at http://127.0.0.1:" in out
    assert "+ 3 created" in out  # the stack and two CAs, through the policy pack
    assert "cloudflare-origin-trust-store@" in out
    assert "3 unchanged" in out
    # A rotated CA is a new resource (names come from the certificate): create, then delete.
    assert "+ 1 created" in out
    assert "- 1 deleted" in out
    assert "opts in explicitly (allowEmptyZone: true)" in out
    # The dangerous rotation (before the origin is reissued) is refused with its fix.
    refused = out[out.index("== Rotating") : out.index("== After")]
    assert "[mandatory] [severity: critical]  origin-ca-covers-origins" in refused
    assert "origin origin.demo.example in zone 023e…c353 would not be authenticated" in refused
    assert "upload 'CN=Demo Origin Root 2026,O=Trust Store Demo', which issued" in refused
    # Rotation: the new entry is uploaded before the old one is deleted.
    rotation = out[out.index("== After") :]
    assert rotation.index("API: POST") < rotation.index("API: DELETE")
    assert "0 entries left in the demo zone" in out
    assert "must-not-be-used" not in out + done.stderr


def test_the_demo_refuses_to_clear_a_folder_it_did_not_make(
    tmp_path: Path, pulumi_env: dict[str, str]
) -> None:
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")

    done = run_demo(folder, pulumi_env)

    assert done.returncode != 0
    assert "was not made by the demo; choose another --folder" in done.stderr
    assert (folder / "notes.txt").read_text() == "keep me"
