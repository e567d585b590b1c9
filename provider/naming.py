"""How a trust store entry's Pulumi resource is named: by what it holds, not where it came from.

A resource name is the entry's identity in state. Deriving it from a file name made a rename
(``cas/a.pem`` -> ``cas/b.pem``) a new resource claiming an entry the old one still held, and
the delete of the old resource then emptied the zone. The name is therefore derived from the
zone and the certificate's SHA-256 fingerprint only: renaming, moving or re-encoding a CA file
changes nothing, and declaring the same CA twice in a zone is the same name twice, which
Pulumi (and :func:`provider.program.find_ca_files`) refuses before anything is deployed.

Every program that declares entries (the stack program, a multi-zone component) names them
with :func:`entry_resource_name`, so the rule exists once.
"""

from __future__ import annotations

import re
from pathlib import Path

RESOURCE_PREFIX = "ca-"
#: Hex characters of the zone id kept in a name: unique across any stack's zones (48 bits).
ZONE_CHARS = 12
#: Hex characters of the SHA-256 fingerprint kept: unique across any zone's CAs (64 bits).
FINGERPRINT_CHARS = 16
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def entry_resource_name(zone_id: str, sha256_fingerprint: str) -> str:
    """``ca-023e105f4ece-3fa2b1c4d5e6f708``: the resource name of one CA in one zone."""
    zone = zone_id.strip().lower()[:ZONE_CHARS]
    fingerprint = sha256_fingerprint.replace(":", "").lower()[:FINGERPRINT_CHARS]
    return f"{RESOURCE_PREFIX}{zone}-{fingerprint}"


def legacy_file_resource_name(path: Path) -> str:
    """The name versions before 0.2 derived from the file (``ca-<stem>``); kept only as an
    alias, so stacks created by them move to :func:`entry_resource_name` without replacement."""
    stem = _UNSAFE.sub("-", path.stem).strip("-.") or "certificate"
    return f"{RESOURCE_PREFIX}{stem}"
