"""The ground every end-to-end test stands on: the real Pulumi CLI, offline, in a temp backend."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from tests.fixtures.pulumi import ProjectFactory

pytestmark = pytest.mark.e2e

NOOP_PROGRAM = """
    import pulumi
    from scripts.noop_resource import Noop

    thing = Noop("thing", value="hello")
    pulumi.export("echo", thing.value)
"""

TRIVIAL_PACK = {
    "PulumiPolicy.yaml": "runtime: python\ndescription: toolchain smoke-test pack\n",
    "__main__.py": textwrap.dedent(
        """
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


        def refuse_forbidden(args, report_violation):
            if args.resource_type.endswith("noop:Noop") and args.props.get("value") == "forbidden":
                report_violation("the value 'forbidden' is not allowed here")


        PolicyPack(
            name="toolchain-smoke",
            enforcement_level=EnforcementLevel.MANDATORY,
            policies=[
                ResourceValidationPolicy(
                    name="no-forbidden-values",
                    description="Checks that no Noop holds the value 'forbidden'.",
                    validate=refuse_forbidden,
                )
            ],
        )
        """
    ),
}


def write_trivial_pack(folder: Path, policy_yaml: str = TRIVIAL_PACK["PulumiPolicy.yaml"]) -> Path:
    """The pack; by default its PulumiPolicy.yaml names no virtualenv, so it runs on the Python
    on PATH (the fixtures put this interpreter's environment there), as with the official host."""
    folder.mkdir(parents=True)
    for name, text in TRIVIAL_PACK.items():
        (folder / name).write_text(text)
    (folder / "PulumiPolicy.yaml").write_text(policy_yaml)
    return folder


def test_cli_reports_its_version(pulumi_project: ProjectFactory) -> None:
    workspace = pulumi_project(NOOP_PROGRAM)
    version = workspace.run("version").stdout.strip()
    major, minor, *_ = version.removeprefix("v").split(".")
    assert (int(major), int(minor)) >= (3, 274)


def test_up_and_destroy_run_a_dynamic_provider_pickled_by_reference(
    noop_project: ProjectFactory,
) -> None:
    workspace = noop_project(NOOP_PROGRAM)

    up = workspace.up()
    assert up.changes == {"create": 2}, up  # the stack and the Noop
    assert up.outputs == {"echo": "hello"}
    assert workspace.outputs() == {"echo": "hello"}
    [noop] = workspace.resources("pulumi-python:dynamic/noop:Noop")
    assert noop["outputs"]["value"] == "hello"
    # The provider is pickled by reference: state names the class, not a copy of its code. The
    # SDK stores the pickle as a secret (only our trust-store provider opts out).
    [shown] = [
        r
        for r in workspace.export(show_secrets=True)["deployment"]["resources"]
        if r["type"] == noop["type"]
    ]
    pickled = base64.b64decode(json.loads(shown["inputs"]["__provider"]["plaintext"]))
    assert b"scripts.noop_resource" in pickled, pickled
    assert b"NoopProvider" in pickled, pickled
    assert b"hashlib" not in pickled, "the provider's code was pickled by value"

    second = workspace.up()
    assert second.changes == {"same": 2}, second

    destroy = workspace.destroy()
    assert destroy.changes == {"delete": 2}, destroy
    assert workspace.resources("pulumi-python:dynamic/noop:Noop") == []


def test_preview_runs_the_policy_pack_and_a_mandatory_violation_fails(
    noop_project: ProjectFactory, tmp_path: Path
) -> None:
    pack = write_trivial_pack(tmp_path / "pack")
    clean = noop_project(NOOP_PROGRAM)
    passed = clean.preview(policy_packs=[pack])
    assert passed.changes == {"create": 2}, passed
    assert "toolchain-smoke" in passed.output, passed  # the pack ran (its name in the summary)

    violating = noop_project(NOOP_PROGRAM.replace('value="hello"', 'value="forbidden"'))
    failed = violating.preview(policy_packs=[pack], check=False)
    assert failed.returncode != 0, failed
    assert "[mandatory]  no-forbidden-values" in failed.output, failed
    assert "the value 'forbidden' is not allowed here" in failed.output, failed
