"""``pip install <repo>`` into a fresh virtualenv gives the provider, the pack's rules and the CLI.

Runs pip for real (offline apart from the package registry), as a user of another stack would.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from scripts.certs import root_ca
from tests.packaging.conftest import REPO_ROOT


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def test_console_script_checks_a_folder(installed: Path, tmp_path: Path) -> None:
    cas = tmp_path / "cas"
    cas.mkdir()
    (cas / "root.pem").write_text(root_ca().pem)
    result = run(
        installed / "cf-origin-trust-store", "check", cas, "--now", "2026-11-29", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory failure(s)" in result.stdout
    usage = run(installed / "cf-origin-trust-store", "--help", cwd=tmp_path)
    assert usage.returncode == 0
    assert "check" in usage.stdout


def test_provider_and_rules_import_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    code = (
        "from provider import CustomOriginTrustStore\n"
        "from policies.trust_rules.certificates import facts_from_text\n"
        "import policies.pack, provider\n"
        "print(CustomOriginTrustStore.__name__, provider.__file__)\n"
    )
    result = run(installed / "python", "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    name, location = result.stdout.split()
    assert name == "CustomOriginTrustStore"
    assert "site-packages" in location  # the installed copy, not the repository


def test_declared_ranges_admit_the_tested_pins() -> None:
    """requirements.txt is the tested set; pyproject's ranges must admit every pin in it."""
    declared = {
        Requirement(text).name: Requirement(text)
        for text in tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
    }
    pins = [
        Requirement(line)
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert pins
    for pin in pins:
        assert pin.name in declared, f"{pin.name} is pinned in requirements.txt, not declared"
        (version,) = (spec.version for spec in pin.specifier)
        assert declared[pin.name].specifier.contains(version), (pin, declared[pin.name])
    assert set(declared) == {pin.name for pin in pins}
