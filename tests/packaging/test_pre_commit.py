"""The pre-commit hook, run by the real ``pre-commit try-repo`` on a temporary git repository.

pre-commit installs this repository into its own virtualenv (language ``python``: a pip install
of the local copy with its declared dependencies), then runs the console script on the whole CA
folder: a commit that only deletes a CA is judged on the CAs that remain.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.certs import NOW, expiring_in
from tests.packaging.conftest import INSTALL_TIMEOUT_SECONDS, git

HOOK_ID = "cf-origin-trust-store-check"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"


def pem_expiring_after(days: int, name: str) -> str:
    """A root CA expiring ``days`` after the real clock: the hook runs without ``--now``."""
    return expiring_in(dt.datetime.now(dt.UTC) - NOW + dt.timedelta(days=days), name).pem


def try_repo(clone: Path, project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.fail("pre-commit is not installed: run make venv (requirements-dev.txt pins it)")
    return subprocess.run(
        [executable, "try-repo", str(clone), HOOK_ID, "--verbose"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
        env={
            **os.environ,
            "PRE_COMMIT_HOME": str(home),
            "XDG_CACHE_HOME": str(home / "xdg"),
            "PIP_NO_COMPILE": "1",  # bytecode is compiled on first import anyway; saves time
        },
    )


def test_hook_judges_the_whole_ca_folder(clone: Path, tmp_path: Path) -> None:
    project = tmp_path / "infra"
    folder = project / "cas" / ZONE
    folder.mkdir(parents=True)
    (folder / "current.pem").write_text(pem_expiring_after(400, "Current Root"))
    (folder / "old.pem").write_text(pem_expiring_after(10, "Old Root"))
    git(project, "init", "-q")
    git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"

    with_old = try_repo(clone, project, home)
    assert with_old.returncode == 1, with_old.stdout + with_old.stderr
    assert "origin-ca-not-near-expiry" in with_old.stdout
    assert f"cas/{ZONE}/old.pem" in with_old.stdout

    git(project, "commit", "-q", "-m", "two CAs")
    git(project, "rm", "-q", f"cas/{ZONE}/old.pem")  # a commit that only deletes a CA
    retired = try_repo(clone, project, home)
    assert retired.returncode == 0, retired.stdout + retired.stderr
    assert "0 mandatory failure(s)" in retired.stdout
    assert "(11 checks on 2 target(s))" in retired.stdout  # the remaining CA and its zone
