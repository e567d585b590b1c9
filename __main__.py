"""The stack program: one Custom Origin Trust Store entry per CA certificate of the zone.

Configure with ``pulumi config set zoneId <zone>`` and either ``certificates`` (a list of PEM
files) or ``certificatesDir`` (a folder of *.pem files); see docs/provider.md.
"""

from pathlib import Path

import pulumi

from provider.program import run

run(pulumi.Config(), Path.cwd())
