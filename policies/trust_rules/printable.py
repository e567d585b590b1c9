"""Text from outside (a certificate's subject, a server's message, a file name) made safe to
print: control characters, terminal escapes and invisible format characters (bidi overrides)
are shown as Python-style escapes, so they can neither drive a terminal nor hide text.

The one escaping function for every human-readable output of the project.
"""

from __future__ import annotations

import re


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


#: Refused values up to this length are quoted whole; longer ones only by their start.
ECHO_LIMIT = 12
ECHO_PREFIX = 6
_LARGEST_QUOTED_INT = 10**ECHO_LIMIT


def echo_input(value: object) -> str:
    """How a refused value from a user is quoted in a message.

    Short strings whole, longer ones by their first characters and length, so a secret pasted
    into the wrong place (a 40-character API token, say) is not written to terminals and logs;
    numbers as Python writes them; anything else by its type. Always printable.
    """
    if isinstance(value, str):
        if len(value) <= ECHO_LIMIT:
            return repr(value)  # repr escapes every non-printable character
        return f"{value[:ECHO_PREFIX]!r}… ({len(value)} characters)"
    if isinstance(value, bool | float) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < _LARGEST_QUOTED_INT else "a very large number"
    return f"a {type(value).__name__}"


_NAME = re.compile(r"[A-Za-z][A-Za-z-]{0,39}")


def echo_name(value: str) -> str:
    """A refused name (a policy or setting name from a config) quoted whole when it reads
    like one (letters and hyphens: a typo to fix), else as ``echo_input`` quotes it."""
    return repr(value) if _NAME.fullmatch(value) else echo_input(value)
