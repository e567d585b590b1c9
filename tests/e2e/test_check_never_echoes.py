"""On the real engine: a secret pasted into an input is refused without being echoed.

The engine prints ``property X value {<raw input>} has a problem`` for a check failure that
names its property; the provider's check names none, and quotes refused values only by their
start (see ``provider.properties.Failure.reported_property``).
"""

from __future__ import annotations

import pytest

from tests.certs import root_ca
from tests.fixtures.pulumi import ProjectFactory

pytestmark = pytest.mark.e2e

TOKEN = "pasted-token-Vb7Nm3Qw9Er1Ty5Ui8Op2As4D"

PROGRAM = f"""
    from provider import CustomOriginTrustStore, CustomOriginTrustStoreArgs

    CustomOriginTrustStore(
        "pasted",
        CustomOriginTrustStoreArgs(
            zone_id={TOKEN!r},
            certificate=open("root.pem").read(),
            adopt_existing={TOKEN!r},
            active_timeout_seconds={TOKEN!r},
        ),
    )
"""


def test_a_token_pasted_into_inputs_is_refused_and_never_printed(
    pulumi_project: ProjectFactory,
) -> None:
    workspace = pulumi_project(PROGRAM, files={"root.pem": root_ca("Echo Root").pem})

    runs = [workspace.preview(check=False), workspace.up(check=False)]

    for run in runs:
        assert run.returncode != 0, run
        assert "resource 'pasted' has a problem: zoneId must be the zone's" in run.output, run
        assert f"got 'pasted'… ({len(TOKEN)} characters)" in run.output, run
        assert "has a problem: adoptExisting must be true or false" in run.output, run
        assert "has a problem: activeTimeoutSeconds must be a whole number" in run.output, run
        assert "property zoneId value" not in run.output
        for start in range(len(TOKEN) - 7):
            assert TOKEN[start : start + 8] not in run.output, run
