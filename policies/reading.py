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

from policies.trust_rules.certificates import is_der_framed, pem_from_der
from policies.trust_rules.printable import printable

#: Certificates and policy configs are a few KiB; anything larger is not one.
MAX_FILE_BYTES = 1 << 20
#: What a CA file is expected to hold, as messages name it.
CERTIFICATE_FILE_WHAT = "PEM or DER certificate"

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


def _refuse_unless_regular(shown: str, mode: int, what: str) -> None:
    if not stat.S_ISREG(mode):
        raise FileRefused(
            f"{shown}: {_kind(mode)}, not a regular file; give the path of a {what} file"
        )


def read_file_bytes(
    path: Path, *, what: str, limit: int = MAX_FILE_BYTES, shown: str | None = None
) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    ``what`` names the expected content in messages ("PEM certificate", "JSON config");
    ``shown`` is how the file is named in them (default: the path, escaped). Raises
    ``FileRefused`` for anything else, without blocking or reading past ``limit``.
    """
    shown = printable(shown if shown is not None else str(path))
    try:
        mode = os.stat(path).st_mode
        _refuse_unless_regular(shown, mode, what)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            _refuse_unless_regular(shown, os.fstat(handle.fileno()).st_mode, what)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileRefused(f"cannot read {shown}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the path
        raise FileRefused(f"cannot read {shown}: the path is not valid") from None
    if len(data) > limit:
        raise FileRefused(f"{shown}: larger than {limit} bytes, not a {what} file")
    return data


def decode_text(data: bytes, *, what: str, shown: str) -> str:
    """``data`` as UTF-8, or ``FileRefused`` naming the file as ``shown``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused(f"{printable(shown)}: not UTF-8 text (expected a {what} file)") from None


def read_text_file(path: Path, *, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path`` (see ``read_file_bytes``)."""
    return decode_text(read_file_bytes(path, what=what, limit=limit), what=what, shown=str(path))


def read_certificate_file(path: Path, *, shown: str | None = None) -> tuple[bytes, str]:
    """A CA file's bytes and its certificate as PEM text: ``check`` and the stack program's
    ``certificates``/``certificatesDir`` both read CA files here.

    ``.der``/``.cer``/``.crt`` files often hold binary DER: it is converted to PEM (the rules,
    the provider's state and the API all hold PEM). Anything else must be UTF-8 text, which is
    returned as it is for the rules to judge. ``FileRefused`` as ``read_file_bytes``, or when
    the file is neither; ``PrivateKeyMaterialError`` for a DER private key.
    """
    data = read_file_bytes(path, what=CERTIFICATE_FILE_WHAT, shown=shown)
    if is_der_framed(data):
        return data, pem_from_der(data)
    return data, decode_text(
        data, what=CERTIFICATE_FILE_WHAT, shown=shown if shown is not None else str(path)
    )
