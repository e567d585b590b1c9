"""scripts/install-pulumi: which CLI it picks, and what it says when it can get none."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-pulumi"


def fake_pulumi(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    cli = folder / "pulumi"
    cli.write_text(f"#!/bin/sh\necho v{version}\n")
    cli.chmod(0o755)
    return folder


def run_script(path_dirs: list[Path], cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only the fake CLI's folder and the basic system tools: no `go` to build with.
    basics = [d for d in ("/usr/bin", "/bin") if Path(d).is_dir()]
    env = {
        "PATH": os.pathsep.join([*map(str, path_dirs), *basics]),
        "HOME": str(cache.parent),
        "ORIGIN_TRUST_STORE_CACHE": str(cache),
    }
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(autouse=True)
def _no_go_in_basic_path() -> None:
    if any((Path(d) / "go").exists() for d in ("/usr/bin", "/bin")):
        pytest.skip("a `go` in /usr/bin or /bin would let the script build; cannot test refusal")


def test_a_recent_cli_on_path_is_used_as_it_is(tmp_path: Path) -> None:
    folder = fake_pulumi(tmp_path / "bin", "3.280.2")

    done = run_script([folder], tmp_path / "cache")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(folder)
    assert "using the Pulumi CLI v3.280.2" in done.stderr
    assert not (tmp_path / "cache").exists(), "nothing is built when a CLI is there"


def test_an_old_cli_without_go_stops_with_how_to_install(tmp_path: Path) -> None:
    folder = fake_pulumi(tmp_path / "bin", "3.100.0")

    done = run_script([folder], tmp_path / "cache")

    assert done.returncode == 1
    assert done.stdout == ""
    assert "the Pulumi CLI on PATH is v3.100.0; v3.274.0 or newer is needed" in done.stderr
    assert "Install the Pulumi CLI" in done.stderr
    assert "install Go >= 1.26.8" in done.stderr


def test_no_cli_and_no_go_stops_with_how_to_install(tmp_path: Path) -> None:
    done = run_script([], tmp_path / "cache")

    assert done.returncode == 1
    assert "no Pulumi CLI >= 3.274.0 on PATH, and no Go toolchain to build one" in done.stderr


def test_help_prints_usage_and_builds_nothing(tmp_path: Path) -> None:
    done = run_script([], tmp_path / "cache", "--help")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: scripts/install-pulumi [--help]")
    assert "ORIGIN_TRUST_STORE_CACHE" in done.stdout
    assert not (tmp_path / "cache").exists(), "--help must not build"


def test_an_unknown_argument_is_refused_with_the_usage(tmp_path: Path) -> None:
    done = run_script([], tmp_path / "cache", "--bogus")

    assert done.returncode == 2
    assert "install-pulumi: unknown argument '--bogus'" in done.stderr
    assert "Usage: scripts/install-pulumi" in done.stderr
    assert not (tmp_path / "cache").exists()
