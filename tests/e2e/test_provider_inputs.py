"""What ``pulumi preview`` refuses, and what never reaches state, logs or messages.

Each bad input gets its own preview: the engine stops a program at its first check failure.
"""

from __future__ import annotations

import textwrap

import pytest

from provider.resource import TYPE_TOKEN
from tests.certs import intermediate_ca, leaf, root_ca
from tests.fixtures.pulumi import ProjectFactory
from tests.fixtures.stack import API_TOKEN, StackFactory

pytestmark = pytest.mark.e2e

ROOT = root_ca("Input Check Root")


@pytest.mark.parametrize(
    ("pem", "expected"),
    [
        pytest.param("not a certificate", "no PEM certificate block found", id="unparseable"),
        pytest.param(ROOT.pem + root_ca("Second Root").pem, "found 2 certificates", id="bundle"),
        pytest.param(
            leaf(ROOT).pem,
            "'CN=origin.example.com,O=Example Origin' (SHA-256",
            id="leaf-not-a-ca",
        ),
        pytest.param(
            intermediate_ca(ROOT).pem,
            "is not a self-signed root CA: it was issued by 'CN=Input Check Root",
            id="intermediate",
        ),
    ],
)
def test_preview_refuses_a_certificate_cloudflare_would_refuse(
    trust_store_stack: StackFactory, pem: str, expected: str
) -> None:
    stack = trust_store_stack()
    stack.write_ca("bad", pem)

    preview = stack.workspace.preview(check=False)

    assert preview.returncode != 0, preview
    name = stack.resource_name("bad")
    assert f"resource '{name}' has a problem: certificate" in preview.output, preview
    assert expected in preview.output, preview
    probe = pem.splitlines()[1] if "\n" in pem else pem
    assert probe not in preview.output, "the input must not be echoed"
    assert stack.api_requests() == []


def test_preview_refuses_an_invalid_zone_id_naming_the_property(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack()
    stack.write_ca("root", ROOT.pem)
    stack.workspace.set_config("zoneId", "example.com")

    preview = stack.workspace.preview(check=False)

    assert preview.returncode != 0
    assert "has a problem: zoneId must be" in preview.output, preview
    assert "property zoneId value" not in preview.output, "the engine must not echo the input"
    assert "32-character hexadecimal id" in preview.output, preview


KEY_PROGRAM = """
    import pathlib
    from provider import CustomOriginTrustStore, CustomOriginTrustStoreArgs

    CustomOriginTrustStore(
        "with-key",
        CustomOriginTrustStoreArgs(
            zone_id="023e105f4ecef8ad9ca31a8372d0c353",
            certificate=pathlib.Path("ca-and-key.pem").read_text(),
        ),
    )
"""


def test_private_key_material_is_refused_and_never_echoed_or_stored(
    pulumi_project: ProjectFactory, trust_store_stack: StackFactory
) -> None:
    key_body = ROOT.key_pem.splitlines()[1]

    # The provider's check refuses a key handed to the resource directly.
    direct = pulumi_project(KEY_PROGRAM, files={"ca-and-key.pem": ROOT.pem + ROOT.key_pem})
    preview = direct.preview(check=False)
    assert preview.returncode != 0
    assert "certificate contains private key material" in preview.output, preview
    up = direct.up(check=False)
    assert up.returncode != 0
    for run in (preview, up):
        assert key_body not in run.output
    assert key_body not in direct.state_text()

    # The stack program refuses a key file before anything leaves the program.
    stack = trust_store_stack()
    stack.write_ca("leaky", ROOT.pem + ROOT.key_pem)
    refused = stack.workspace.up(check=False)
    assert refused.returncode != 0
    assert "contains private key material; nothing was sent" in refused.output, refused
    assert key_body not in refused.output
    assert key_body not in stack.workspace.state_text()
    assert stack.api_requests() == []


UNKNOWN_PROGRAM = """
    from provider import CustomOriginTrustStore, CustomOriginTrustStoreArgs
    from scripts.noop_resource import Noop

    zone = Noop("zone-source", value="023e105f4ecef8ad9ca31a8372d0c353")
    CustomOriginTrustStore(
        "from-unknown-zone",
        CustomOriginTrustStoreArgs(zone_id=zone.id, certificate=open("root.pem").read()),
    )
"""


def test_preview_with_inputs_unknown_until_apply_plans_a_create(
    noop_project: ProjectFactory,
) -> None:
    """The zone id comes from another resource's id, unknown until that resource exists."""
    workspace = noop_project(UNKNOWN_PROGRAM, files={"root.pem": ROOT.pem})
    preview = workspace.preview()
    assert preview.changes == {"create": 3}, preview


def test_the_api_token_never_reaches_state_outputs_or_logs(
    trust_store_stack: StackFactory,
) -> None:
    stack = trust_store_stack(credentials_in="config")
    stack.write_ca("root", ROOT.pem)

    runs = [stack.workspace.up(), stack.workspace.refresh()]
    runs.append(stack.workspace.up("-v=9", "--logtostderr"))
    assert stack.entries_in_state()[stack.resource_name("root")]["outputs"]["status"] == "active"

    for run in runs:
        assert API_TOKEN not in run.output
    assert API_TOKEN not in str(stack.workspace.export())
    assert API_TOKEN not in stack.workspace.state_text()
    # Decrypted, the token shows only where Pulumi keeps provider configuration: the default
    # provider's inputs, which the engine fills from stack config (as for any provider).
    shown = stack.workspace.export(show_secrets=True)["deployment"]["resources"]
    holders = [r["type"] for r in shown if API_TOKEN in str(r)]
    assert holders in ([], ["pulumi:providers:pulumi-python"]), holders
    for record in stack.workspace.resources(TYPE_TOKEN):
        assert API_TOKEN not in str(record)
    assert API_TOKEN not in str(stack.workspace.outputs())


def test_the_stack_program_explains_missing_certificate_config(
    pulumi_project: ProjectFactory,
) -> None:
    from tests.fixtures.stack import STACK_PROGRAM

    workspace = pulumi_project(STACK_PROGRAM)
    workspace.set_config("zoneId", "023e105f4ecef8ad9ca31a8372d0c353")
    preview = workspace.preview(check=False)
    assert preview.returncode != 0
    assert "No CA certificates configured" in preview.output, textwrap.shorten(preview.output, 2000)
