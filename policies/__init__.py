"""The ``cloudflare-origin-trust-store`` policy pack, its ``check`` CLI and the shared rules.

``trust_rules`` holds the certificate facts and checks (no Pulumi imports); ``pack`` turns them
into Pulumi policies; ``cli`` runs the same checks on PEM files.
"""
