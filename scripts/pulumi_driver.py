"""The one way this repository drives the Pulumi CLI: ``pulumi.automation``, offline and isolated.

Tests, the demo and the benchmarks all run the real CLI here, each project with its own
``PULUMI_HOME``, a ``file://`` backend and passphrase secrets (``isolated_env`` lists the offline
settings), and with no ``PULUMI_*`` or ``CLOUDFLARE_*`` variable of the caller's shell reaching
the CLI, so none of them can touch a real account or backend by accident. Results are structured
(resource changes, outputs) and keep the CLI's text, which is the product where policy violations
and our own error messages are concerned. This module is also the only writer of Pulumi.yaml for the
projects it runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

#: Variables never inherited from the caller: they could point at a real account or backend.
SCRUBBED_PREFIXES = ("PULUMI_", "CLOUDFLARE_")
#: Bound on a raw CLI command (``PulumiStack.run``); a first run in a fresh venv compiles bytecode.
COMMAND_TIMEOUT_SECONDS = 600


def scrub_process_environment() -> None:
    """Drop the scrubbed variables from this process: ``pulumi.automation`` starts every command
    from ``os.environ`` plus the workspace's variables, so an inherited one would get through."""
    for key in [k for k in os.environ if k.startswith(SCRUBBED_PREFIXES)]:
        del os.environ[key]


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


def write_project(
    folder: Path,
    *,
    name: str | None = None,
    program: str | None = None,
    description: str = "end-to-end test stack",
    base: Path | None = None,
    virtualenv: Path | str | None = None,
    main: str | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write a Python project: Pulumi.yaml (from ``base``'s settings when given, e.g. the
    repository's own, so its config declarations hold), ``__main__.py`` and extra ``files``.

    The program runs in ``virtualenv`` (default: this interpreter's environment, absolute so the
    project can live anywhere; ``""``: no option, so the Python on PATH). ``main`` is the program's
    folder when it is not the project's.
    """
    folder.mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = (
        yaml.safe_load(base.read_text()) if base else {"description": description}
    )
    if name is not None:
        settings["name"] = name
    if "name" not in settings:
        raise ValueError("a project needs a name: pass name= or a base Pulumi.yaml that has one")
    runtime = settings.get("runtime")
    options = dict(runtime.get("options", {})) if isinstance(runtime, dict) else {}
    options.setdefault("toolchain", "pip")
    options["virtualenv"] = str(Path(sys.prefix) if virtualenv is None else virtualenv)
    if not options["virtualenv"]:
        del options["virtualenv"]
    settings["runtime"] = {"name": "python", "options": options}
    if main is not None:
        settings["main"] = main
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    if program is not None:
        entry = folder / (main or ".") / "__main__.py"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(textwrap.dedent(program))
    for relative, content in (files or {}).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return folder


@dataclass
class PulumiRun:
    """One CLI command: its exit status and text, and, for stack operations, structured results.

    ``changes`` counts resources by operation (``{"create": 2, "same": 1}``: Pulumi's
    ``resource_changes``/``change_summary``); ``outputs`` are the stack outputs after an ``up``.
    """

    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """stdout and stderr together: where policy violations and our messages are read."""
        return self.stdout + self.stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"$ pulumi {' '.join(self.args)}  (exit {self.returncode})\n{self.output}"


class PulumiCommandFailed(AssertionError):
    """A command that had to succeed did not; the message carries its whole output."""

    def __init__(self, run: PulumiRun) -> None:
        super().__init__(f"pulumi command failed:\n{run}")
        self.run = run


class PulumiStack:
    """A project folder, its isolated environment and one stack, driven through Automation API.

    ``env`` is read at every command, so a caller may change it between commands (e.g. point
    CLOUDFLARE_BASE_URL at another server). ``bin_dir`` is the folder holding ``pulumi`` and its
    Python language host (``scripts/install-pulumi`` prints it).
    """

    def __init__(
        self,
        project_dir: Path,
        env: dict[str, str],
        *,
        bin_dir: Path,
        stack: str = "test",
        create: bool = True,
    ) -> None:
        scrub_process_environment()
        self.project_dir = project_dir
        self.env = env
        self.bin_dir = bin_dir
        self.stack = stack
        self.runs: list[PulumiRun] = []
        if bin_dir.name != "bin":
            raise ValueError(
                f"{bin_dir}: Automation API runs <root>/bin/pulumi; pass a `bin` folder"
            )
        self._command = auto.PulumiCommand(root=str(bin_dir.parent))
        self._workspace = auto.LocalWorkspace(
            work_dir=str(project_dir), pulumi_command=self._command, env_vars=env
        )
        self._stack = (
            auto.Stack.create(stack, self._workspace)
            if create
            else auto.Stack.select(stack, self._workspace)
        )

    # Stack operations, with structured results.

    def up(
        self,
        *extra: str,
        policy_packs: Sequence[Path] = (),
        policy_config: Mapping[str, Any] | None = None,
        check: bool = True,
        **options: Any,
    ) -> PulumiRun:
        """``pulumi up --yes --skip-preview``; ``options`` go to ``Stack.up`` (e.g.
        ``log_verbosity=9``). ``extra`` raw CLI flags take the raw path, without structure."""
        if extra:
            args = ["up", "--yes", "--skip-preview", "--stack", self.stack, *extra]
            args += self._policy_args(policy_packs, policy_config)
            return self.run(*args, check=check)
        return self._operation(
            "up",
            lambda out, err: self._stack.up(
                on_output=out,
                on_error=err,
                **self._policy_options(policy_packs, policy_config),
                **options,
            ),
            check,
        )

    def preview(
        self,
        *extra: str,
        policy_packs: Sequence[Path] = (),
        policy_config: Mapping[str, Any] | None = None,
        check: bool = True,
        **options: Any,
    ) -> PulumiRun:
        if extra:
            args = ["preview", "--stack", self.stack, *extra]
            args += self._policy_args(policy_packs, policy_config)
            return self.run(*args, check=check)
        return self._operation(
            "preview",
            lambda out, err: self._stack.preview(
                on_output=out,
                on_error=err,
                **self._policy_options(policy_packs, policy_config),
                **options,
            ),
            check,
        )

    def up_with_policies(
        self,
        *extra: str,
        policy_packs: Sequence[Path] = (),
        policy_config: Mapping[str, Any] | None = None,
        check: bool = True,
    ) -> PulumiRun:
        """``pulumi up`` with its preview: the packs judge the whole plan (stack policies too)
        before anything changes. The output holds both the preview's and the update's text.
        With ``--skip-preview`` there is no preview: the packs judge each step of the update."""
        if "--skip-preview" in extra:
            rest = tuple(arg for arg in extra if arg != "--skip-preview")
            return self.up(
                *rest, policy_packs=policy_packs, policy_config=policy_config, check=check
            )
        preview = self.preview(
            *extra, policy_packs=policy_packs, policy_config=policy_config, check=check
        )
        if not preview.ok:
            return preview
        up = self.up(*extra, policy_packs=policy_packs, policy_config=policy_config, check=check)
        up.stdout = preview.stdout + up.stdout
        up.stderr = preview.stderr + up.stderr
        return up

    def refresh(self, *extra: str, check: bool = True, **options: Any) -> PulumiRun:
        if extra:
            return self.run("refresh", "--yes", "--skip-preview", "--stack", self.stack, *extra,
                            check=check)  # fmt: skip
        return self._operation(
            "refresh",
            lambda out, err: self._stack.refresh(on_output=out, on_error=err, **options),
            check,
        )

    def destroy(self, *extra: str, check: bool = True, **options: Any) -> PulumiRun:
        if extra:
            return self.run("destroy", "--yes", "--skip-preview", "--stack", self.stack, *extra,
                            check=check)  # fmt: skip
        return self._operation(
            "destroy",
            lambda out, err: self._stack.destroy(on_output=out, on_error=err, **options),
            check,
        )

    # State and config.

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        flag = "--secret" if secret else "--plaintext"
        # Through stdin, not Automation API's argv, so a secret never shows in a process listing.
        self.run("config", "set", key, flag, "--stack", self.stack, input_text=value)

    def export(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "export", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        exported: dict[str, Any] = json.loads(self.run(*args).stdout)
        return exported

    def outputs(self) -> dict[str, Any]:
        """Stack outputs, secrets shown, as plain values."""
        return {key: value.value for key, value in self._stack.outputs().items()}

    def resources(self, type_token: str) -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources", []) if r["type"] == type_token]

    def state_text(self) -> str:
        """Every byte the backend holds for this project, for searches for leaked secrets."""
        backend = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(backend.rglob("*")) if p.is_file()
        )

    def run(self, *args: str, check: bool = True, input_text: str | None = None) -> PulumiRun:
        """Any other CLI command, raw (``pulumi version``, ``pulumi install``...)."""
        done = subprocess.run(
            [str(self.bin_dir / "pulumi"), *args],
            cwd=self.project_dir,
            env=dict(self.env),
            capture_output=True,
            text=True,
            input=input_text,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        return self._record(PulumiRun(args, done.returncode, done.stdout, done.stderr), check)

    # Plumbing.

    def _operation(self, name: str, call: Any, check: bool) -> PulumiRun:
        stdout: list[str] = []
        stderr: list[str] = []
        self._workspace.env_vars = self.env
        try:
            result = call(stdout.append, stderr.append)
        except auto.CommandError as error:
            code = re.search(r"code: (-?\d+)", str(error))
            run = PulumiRun(
                (name,), int(code.group(1)) if code else 1, _text(stdout), _text(stderr)
            )
            return self._record(run, check)
        run = PulumiRun((name,), 0, result.stdout, result.stderr)
        if isinstance(result, auto.PreviewResult):
            run.changes = {
                str(getattr(op, "value", op)): n for op, n in result.change_summary.items()
            }
        elif result.summary is not None:
            run.changes = dict(result.summary.resource_changes or {})
        if isinstance(result, auto.UpResult):
            run.outputs = {key: value.value for key, value in result.outputs.items()}
        return self._record(run, check)

    def _record(self, run: PulumiRun, check: bool) -> PulumiRun:
        self.runs.append(run)
        if check and not run.ok:
            raise PulumiCommandFailed(run)
        return run

    def _config_files(
        self, policy_packs: Sequence[Path], policy_config: Mapping[str, Any] | None
    ) -> list[str]:
        if policy_config is None:
            return []
        files = []
        for index, _ in enumerate(policy_packs):
            path = self.project_dir / f"policy-config-{index}.json"
            path.write_text(json.dumps(policy_config))
            files.append(str(path))
        return files

    def _policy_options(
        self, policy_packs: Sequence[Path], policy_config: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        if not policy_packs:
            return {}
        options: dict[str, Any] = {"policy_packs": [str(p) for p in policy_packs]}
        if configs := self._config_files(policy_packs, policy_config):
            options["policy_pack_configs"] = configs
        return options

    def _policy_args(
        self, policy_packs: Sequence[Path], policy_config: Mapping[str, Any] | None
    ) -> list[str]:
        args: list[str] = []
        configs = self._config_files(policy_packs, policy_config)
        for index, pack in enumerate(policy_packs):
            args += ["--policy-pack", str(pack)]
            if configs:
                args += ["--policy-pack-config", configs[index]]
        return args


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
