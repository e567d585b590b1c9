"""Text from outside (a certificate's subject, a server's message, a file name) made safe to
print: control characters, terminal escapes and invisible format characters (bidi overrides)
are shown as Python-style escapes, so they can neither drive a terminal nor hide text.

The one escaping function for every human-readable output of the project.
"""

from __future__ import annotations


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every non-printable character (``str.isprintable``) escaped.

    Plain spaces stay; tabs, line breaks, ESC, C1 controls, bidi overrides and the like become
    ``\\x1b``-style escapes.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)
