"""Read a small text file named by a user, refusing anything else in bounded time and memory.

A path on a command line may name a FIFO with no writer (opening it blocks for ever), a device
such as /dev/zero (endless) or /dev/tty, a directory or a socket. Only regular files are read:
the path is examined before it is opened, opened without blocking and without taking a
controlling terminal, examined again through the open descriptor (it may have been swapped
meanwhile), and read up to ``limit`` bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from policies.trust_rules.printable import printable

#: Certificates and policy configs are a few KiB; anything larger is not one.
MAX_FILE_BYTES = 1 << 20

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(Exception):
    """The file cannot be used; the message names it and says why, ready for the user."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse_unless_regular(path: Path, mode: int, what: str) -> None:
    if not stat.S_ISREG(mode):
        raise FileRefused(
            f"{printable(str(path))}: {_kind(mode)}, not a regular file; give the path of a"
            f" {what} file"
        )


def read_text_file(path: Path, *, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``limit`` bytes.

    ``what`` names the expected content in messages ("PEM certificate", "JSON config").
    Raises ``FileRefused`` for anything else, without blocking or reading past ``limit``.
    """
    shown = printable(str(path))
    try:
        _refuse_unless_regular(path, os.stat(path).st_mode, what)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            _refuse_unless_regular(path, os.fstat(handle.fileno()).st_mode, what)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileRefused(f"cannot read {shown}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the path
        raise FileRefused(f"cannot read {shown}: the path is not valid") from None
    if len(data) > limit:
        raise FileRefused(f"{shown}: larger than {limit} bytes, not a {what} file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused(f"{shown}: not UTF-8 text (expected a {what} file)") from None
