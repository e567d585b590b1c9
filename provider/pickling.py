"""Keep Pulumi's provider serialization flat, so a stack can declare thousands of entries.

Every dynamic resource's constructor pickles its provider (``pulumi.dynamic.serialize_provider``,
pulumi 3.272). To sort dictionaries it replaces ``pickle._Pickler._batch_setitems`` with a
wrapper around *the current* one and never puts the original back: the n-th resource's pickling
goes through n nested wrappers, each sorting again. Time grows with the square of the number of
resources, and past about 1,000 dynamic resources in one program every further one fails with
``RecursionError: maximum recursion depth exceeded`` (seen at 1,205 resources of a 2,000-entry
stack; pulumi/pulumi#17803 is a report of it with "no repro").

:func:`flatten` puts the original method back before each of our resources is declared, so each
serialization wraps it exactly once: the same sorted, deterministic pickle, at a constant cost.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

#: Pulumi's wrappers are closures defined inside this function.
_WRAPPER_PREFIX = "serialize_provider.<locals>."


def _unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    """The method under any number of Pulumi's wrappers (each holds the previous in a cell)."""
    found = method
    for _ in range(100_000):
        if not getattr(found, "__qualname__", "").startswith(_WRAPPER_PREFIX):
            return found
        inner = [
            cell.cell_contents
            for cell in (getattr(found, "__closure__", None) or ())
            if callable(cell.cell_contents)
        ]
        if len(inner) != 1:
            return found
        found = inner[0]
    return found


_ORIGINAL_BATCH_SETITEMS = _unwrapped(pickle._Pickler._batch_setitems)  # type: ignore[attr-defined]


def flatten() -> None:
    """Undo the wrapping left by earlier serializations (a no-op when there is none)."""
    pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]


def wrapping_depth() -> int:
    """How many of Pulumi's wrappers sit on the pickler now (tests and benchmarks)."""
    depth = 0
    found: Callable[..., Any] = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    while getattr(found, "__qualname__", "").startswith(_WRAPPER_PREFIX):
        inner = [c.cell_contents for c in (found.__closure__ or ()) if callable(c.cell_contents)]
        if len(inner) != 1:
            break
        found = inner[0]
        depth += 1
    return depth
