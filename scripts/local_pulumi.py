"""The Pulumi CLI run offline in a folder of its own: DESIGN.md §2's settings, in one place.

The demo, the benchmarks and the end-to-end test fixtures all drive the real CLI with their own
``PULUMI_HOME``, a ``file://`` backend and passphrase secrets, and with no ``PULUMI_*`` or
``CLOUDFLARE_*`` variable inherited from the caller's shell (so none of them can reach a real
account or a real backend by accident).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Variables never inherited from the caller: they could point at a real account or backend.
SCRUBBED_PREFIXES = ("PULUMI_", "CLOUDFLARE_")


def isolated_env(
    home: Path,
    backend: Path,
    *,
    passphrase: str,
    path_first: Sequence[Path] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """An environment for the CLI that reads and writes nothing outside ``home`` and ``backend``.

    ``path_first`` goes before this interpreter's ``bin`` folder on PATH (e.g. the folder of a
    freshly built CLI); ``extra`` is applied last.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env.update(
        {
            "PATH": os.pathsep.join(
                [*map(str, path_first), str(Path(sys.prefix) / "bin"), os.environ["PATH"]]
            ),
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_SUPPRESS_COPILOT_LINK": "true",
            "NO_COLOR": "1",
        }
    )
    env.update(extra or {})
    return env


def run_pulumi(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """One CLI command, its output captured as text; the caller judges the exit code."""
    return subprocess.run(
        ["pulumi", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=False,
    )
