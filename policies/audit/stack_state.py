"""Which stack manages which live entry: ``pulumi stack export`` files, read for drift.

A trust-store resource in a checkpoint (the dynamic provider's type, or the official
provider's) has the entry id as its ``id`` and its zone in ``zoneId`` (outputs, else inputs).
Resources marked ``delete`` (a replacement's old half awaiting deletion) are not managed any more.
The URN ``urn:pulumi:<stack>::<project>::<type>::<name>`` names the stack and the resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from policies.audit.snapshot import Managed
from policies.reading import FileRefused, read_text_file
from policies.trust_rules.printable import printable
from policies.trust_rules.resource_type import TRUST_STORE_TYPES, ZONE_ID

#: A checkpoint holds every resource with its inputs and outputs (a few KiB per certificate):
#: 256 MiB is tens of thousands of entries, and still a bounded read.
MAX_STATE_BYTES = 256 << 20
_URN_PARTS = 4


class StackStateError(Exception):
    """A state file cannot be used; the message names it and says what to do."""


def _refuse(shown: str, why: str) -> StackStateError:
    return StackStateError(
        f"stack state {shown}: {why}; give the output of `pulumi stack export --file FILE`"
    )


def _names(urn: str) -> tuple[str, str] | None:
    """``("project/stack", "name")`` from a URN, or ``None`` if it is not one."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn.removeprefix("urn:pulumi:").split("::")
    if len(parts) < _URN_PARTS:
        return None
    stack, project, name = parts[0], parts[1], parts[-1]
    return f"{project}/{stack}", name


def _zone_of(resource: Mapping[str, object]) -> str | None:
    for key in ("outputs", "inputs"):
        properties = resource.get(key)
        if isinstance(properties, Mapping):
            zone_id = properties.get(ZONE_ID)
            if isinstance(zone_id, str) and zone_id:
                return zone_id.lower()
    return None


def managed_entries(document: object, shown: str) -> list[Managed]:
    """The trust-store resources of one exported checkpoint."""
    deployment = document.get("deployment") if isinstance(document, dict) else None
    if not isinstance(deployment, dict):
        raise _refuse(shown, "no 'deployment' object, so not a stack export")
    resources = deployment.get("resources") or []
    if not isinstance(resources, list):
        raise _refuse(shown, "'deployment.resources' is not a list")
    found = []
    for resource in resources:
        if not isinstance(resource, dict) or resource.get("type") not in TRUST_STORE_TYPES:
            continue
        if resource.get("delete") is True:
            continue
        urn, entry_id = resource.get("urn"), resource.get("id")
        names = _names(urn) if isinstance(urn, str) else None
        zone_id = _zone_of(resource)
        if names is None or not isinstance(entry_id, str) or not entry_id or zone_id is None:
            continue  # not created yet (no id), or not a resource this tool wrote
        stack, name = names
        found.append(
            Managed(
                stack=printable(stack),
                resource=printable(name),
                urn=printable(str(urn)),
                zone_id=zone_id,
                entry_id=entry_id.lower(),
                file=shown,
            )
        )
    return found


def read_stack_states(paths: Iterable[Path]) -> dict[tuple[str, str], Managed]:
    """(zone id, entry id) → the resource managing it, over every file given."""
    managed: dict[tuple[str, str], Managed] = {}
    for path in paths:
        shown = printable(str(path))
        try:
            text = read_text_file(path, what="pulumi stack export", limit=MAX_STATE_BYTES)
            document = json.loads(text)
        except FileRefused as exc:
            raise StackStateError(f"stack state {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise _refuse(shown, f"not valid JSON ({exc})") from None
        for item in managed_entries(document, shown):
            managed.setdefault((item.zone_id, item.entry_id), item)
    return managed
