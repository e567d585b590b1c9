"""What a change of inputs does to an entry: nothing, an in-place update, or a replacement.

Cloudflare has no update call for an entry, so a new zone or a new certificate replaces it:
the new entry is created before the old one is deleted (``delete_before_replace=False``), so a
zone never has a moment without the CA. Whitespace and line endings of the PEM, and changes of
the pickled provider (``__provider``, i.e. our own code), change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.trust_rules import certificates
from policies.trust_rules.errors import CertificateInputError
from provider.inputs import (
    CERTIFICATE,
    OPTION_INPUTS,
    REPLACING_INPUTS,
    Options,
    is_unknown,
    python_name,
)


@dataclass(frozen=True)
class Change:
    """The outcome of comparing old outputs with new inputs."""

    replaces: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


def _canonical_certificate(value: object) -> object:
    try:
        return certificates.normalize_pem(value)  # type: ignore[arg-type]
    except CertificateInputError:
        return "".join(value.split()) if isinstance(value, str) else value


def _same(key: str, old: object, new: object) -> bool:
    if key == CERTIFICATE:
        return _canonical_certificate(old) == _canonical_certificate(new)
    if isinstance(old, str) and isinstance(new, str):
        return old.lower() == new.lower()
    return old == new


def compare(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Change:
    """Which inputs force a replacement and which only need the outputs refreshed.

    A value unknown during preview is reported as a change of its kind: the plan then shows
    what will happen if it does change.
    """
    replaces = [
        key
        for key in REPLACING_INPUTS
        if is_unknown(news.get(key)) or not _same(key, olds.get(key), news.get(key))
    ]
    unknown_options = [key for key in OPTION_INPUTS if is_unknown(news.get(key))]
    updates = unknown_options or (
        [
            key
            for key in OPTION_INPUTS
            if getattr(Options.from_props(olds), python_name(key))
            != getattr(Options.from_props(news), python_name(key))
        ]
    )
    return Change(replaces=replaces, updates=updates)
