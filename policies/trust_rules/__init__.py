"""Certificate facts and trust-store rules, shared by the policy pack, its CLI and the provider.

They live inside the pack folder so a published pack (`pulumi policy publish` ships only this
folder and its requirements.txt) still carries them, while the provider imports the same code as
``policies.trust_rules``: one implementation, no copy. Nothing here imports Pulumi.
"""
