"""Write a file so that a reader never sees half of it and a failure leaves the old one as it was.

The text goes to a temporary file in the target's folder (same file system, so the rename is
atomic), is flushed to disk, then renamed over the target. Used for ``probe --out``,
``audit --prometheus`` (a collector may read at any moment) and ``check``'s cache.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, *, encoding: str = "utf-8", mode: int = 0o644) -> None:
    """Replace ``path`` with ``text``; on any error the temporary file is removed."""
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding=encoding) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
