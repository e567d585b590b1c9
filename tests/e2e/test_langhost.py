"""Our Python language host (toolchain/langhost) behaves as the official one where users touch it.

Each test drives the real CLI: packs with and without a virtualenv, a missing virtualenv, a fresh
project whose virtualenv does not exist yet, `pulumi install`, `pulumi about`, and Ctrl-C.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from scripts.pulumi_driver import write_project
from tests.e2e.test_toolchain import NOOP_PROGRAM, write_trivial_pack
from tests.fixtures.pulumi import ProjectFactory

pytestmark = pytest.mark.e2e

SITE_PACKAGES = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))


def marker_wheel(folder: Path, name: str, *, pth: str = "") -> Path:
    """A minimal wheel holding module ``name`` (and a .pth line, when given): installs offline."""
    files = {f"{name}.py": "INSTALLED = True\n"}
    if pth:
        files[f"{name}.pth"] = pth + "\n"
    info = f"{name}-1.0.dist-info"
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
    files[f"{info}/WHEEL"] += "Tag: py3-none-any\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def imports(python: Path, module: str) -> bool:
    done = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, timeout=60)
    return done.returncode == 0


@pytest.mark.timeout(300)
def test_a_pack_whose_virtualenv_is_missing_fails_at_once_naming_it_and_the_fix(
    noop_project: ProjectFactory, tmp_path: Path
) -> None:
    workspace = noop_project(NOOP_PROGRAM)
    # A repository whose Makefile creates the virtualenv (as ours does), and a bare pack.
    repo = tmp_path / "repo"
    in_repo = write_trivial_pack(
        repo / "policies", "runtime:\n  name: python\n  options:\n    virtualenv: ../.venv\n"
    )
    (repo / "Makefile").write_text("venv:\n\tpython3 -m venv .venv\n")
    bare = write_trivial_pack(
        tmp_path / "bare", "runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )

    for pack, venv, advice in [
        (in_repo, repo / ".venv", f"Create it with `make venv` in {repo}, then"),
        (bare, bare / "venv", f"Create it with `pulumi install` in {bare} (it creates"),
    ]:
        failed = workspace.preview(policy_packs=[pack], check=False)
        assert failed.returncode != 0, failed
        assert f"policy pack {pack}: its virtualenv {venv} " in failed.output, failed
        assert "does not exist or holds no bin/python" in failed.output, failed
        assert advice in failed.output, failed


def test_a_fresh_project_gets_its_virtualenv_and_install_reads_the_program_folder(
    pulumi_project: ProjectFactory, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    # The fresh virtualenv sees this environment's packages (pulumi, provider) through a .pth.
    first = marker_wheel(wheels, "fresh_first", pth=str(SITE_PACKAGES))
    second = marker_wheel(wheels, "fresh_second")
    program = "import fresh_first\nimport pulumi\n\npulumi.export('ok', fresh_first.INSTALLED)\n"
    workspace = pulumi_project(
        program,
        virtualenv="venv",
        main="app",
        files={
            "requirements.txt": "this line would fail: the root's file must not be read\n",
            "app/requirements.txt": f"{first}\n",
        },
    )
    venv_python = workspace.project_dir / "venv" / "bin" / "python"
    assert not venv_python.exists()

    # As in a fresh clone: the host creates the virtualenv, from app/requirements.txt.
    preview = workspace.preview()
    assert preview.changes == {"create": 1}, preview
    assert imports(venv_python, "fresh_first")

    # `pulumi install` without a virtualenv option installs into the Python the host runs on
    # (python3 on PATH or PULUMI_PYTHON_CMD), as the official host does; here, that virtualenv.
    write_project(workspace.project_dir, name="e2e", virtualenv="", main="app")
    (workspace.project_dir / "app" / "requirements.txt").write_text(f"{second}\n")
    workspace.env["PULUMI_PYTHON_CMD"] = str(venv_python)
    install = workspace.run("install")
    assert "Finished installing dependencies" in install.output, install
    assert imports(venv_python, "fresh_second")


def test_pulumi_about_reports_the_program_interpreter_and_toolchain(
    pulumi_project: ProjectFactory,
) -> None:
    about = pulumi_project(NOOP_PROGRAM).run("about")
    assert f"executable='{Path(sys.prefix) / 'bin' / 'python'}'" in about.output, about
    assert "toolchain='Pip'" in about.output, about


SLEEPING_PROGRAM = """
    import pathlib
    import time

    pathlib.Path("started").write_text("yes")
    time.sleep(600)
"""


@pytest.mark.timeout(300)
def test_ctrl_c_during_preview_stops_the_cli_the_host_and_the_program(
    pulumi_project: ProjectFactory,
) -> None:
    workspace = pulumi_project(SLEEPING_PROGRAM)
    started = workspace.project_dir / "started"
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    cli = subprocess.Popen(
        [str(workspace.bin_dir / "pulumi"), "preview", "--stack", workspace.stack],
        cwd=workspace.project_dir,
        env=workspace.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    group = os.getpgid(cli.pid)
    try:
        deadline = time.monotonic() + 240
        while not started.exists() and cli.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started.exists(), "the program never started"
        os.killpg(group, signal.SIGINT)
        output, _ = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            os.killpg(group, signal.SIGKILL)
    assert cli.returncode != 0, output
    # Nothing of the group outlives the CLI: not the language host, not the program.
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)


def test_pulumi_new_is_offered_the_pip_toolchain_and_a_venv_virtualenv(
    tmp_path: Path, pulumi_env: dict[str, str], pulumi_bin_dir: Path
) -> None:
    # A template, not a project: `pulumi new` writes the project's Pulumi.yaml from it.
    template = tmp_path / "template"
    template.mkdir()
    (template / "Pulumi.yaml").write_text("name: ${PROJECT}\nruntime: python\n")
    (template / "__main__.py").write_text("import pulumi\n")
    target = tmp_path / "new-project"
    target.mkdir()

    done = subprocess.run(
        [str(pulumi_bin_dir / "pulumi"), "new", str(template), "--generate-only", "--yes"],
        cwd=target,
        env=pulumi_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    written = yaml.safe_load((target / "Pulumi.yaml").read_text())
    assert written["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
