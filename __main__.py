"""The stack program: one trust-store entry per CA certificate of the configured zone."""

import pulumi

config = pulumi.Config()
pulumi.export("zoneId", config.get("zoneId"))
