"""The published pack carries only ``policies/``: ``check`` must load without ``provider``, and
``audit`` must say what is missing instead of a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


#: Runs the CLI with ``provider`` unimportable, as in a pack installed without the project.
_WITHOUT_PROVIDER = """
import sys
from importlib.abc import MetaPathFinder

class NoProvider(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "provider" or name.startswith("provider."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoProvider())
from policies.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_PROVIDER, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_never_imports_provider_until_audit_runs() -> None:
    code = (
        "import sys; from policies.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'provider'))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "[]"


def test_a_pack_without_provider_checks_and_explains_audit(tmp_path: Path) -> None:
    shutil.copytree(
        REPO_ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__")
    )
    assert _run(tmp_path, "check", "--help").returncode == 0
    assert "--stack-state" in _run(tmp_path, "audit", "--help").stdout
    result = _run(tmp_path, "audit", "--zone", "023e105f4ecef8ad9ca31a8372d0c353")
    assert result.returncode == 2
    assert result.stderr.startswith("error: audit needs the provider package")
    assert "Traceback" not in result.stderr
