"""Remove secrets from text that came from outside before it is quoted anywhere.

A server (or a proxy, or a socket error) may echo a credential back, whole or in part: cut at
a length limit, split by a line break, or prefixed with junk. ``redact`` replaces every run of
the text that matches a piece of a secret at least ``MIN_SECRET_FRAGMENT`` characters long, and
every PEM private-key block (complete or cut off), with ``REDACTED``.
"""

from __future__ import annotations

import collections
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable

REDACTED = "<redacted>"
#: Shortest piece of a secret that is redacted on its own: long enough that ordinary text never
#: matches a random token by chance, short enough that a cut-off token is still caught.
MIN_SECRET_FRAGMENT = 8

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)


@functools.lru_cache(maxsize=64)
def _pieces(secret: str) -> tuple[frozenset[str], int, tuple[str, ...]]:
    """The secret's pieces, their length, and the half-length blocks at multiples of half that
    length: every piece contains one of those blocks, so texts holding none (nearly all) are
    passed over with a few substring searches."""
    size = min(MIN_SECRET_FRAGMENT, len(secret))
    half = max(1, size // 2)
    pieces = frozenset(secret[i : i + size] for i in range(len(secret) - size + 1))
    blocks = tuple(secret[i : i + half] for i in range(0, len(secret) - half + 1, half))
    return pieces, size, blocks if size == MIN_SECRET_FRAGMENT else (secret,)


def _fragment_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Merged spans of ``text`` covered by a ``MIN_SECRET_FRAGMENT``-long piece of ``secret``."""
    pieces, size, blocks = _pieces(secret)
    if not any(block in text for block in blocks):
        return []
    spans: list[tuple[int, int]] = []
    for start in range(len(text) - size + 1):
        if text[start : start + size] in pieces:
            end = start + size
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with private-key blocks and every secret, or piece of one, replaced."""
    text = _PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    for secret in secrets:
        if not secret or (secret not in text and len(secret) < MIN_SECRET_FRAGMENT):
            continue
        spans = _fragment_spans(text, secret)
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
    return text


#: Loggers of the HTTP libraries, which log response headers and reason phrases verbatim.
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_GUARDED: collections.Counter[str] = collections.Counter()
_GUARD_LOCK = threading.Lock()


class _RedactingFilter(logging.Filter):
    """Redacts the secrets of every open client from the HTTP libraries' log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _GUARD_LOCK:  # clients open and close in other threads
            secrets = tuple(_GUARDED)
        if secrets:
            message = record.getMessage()
            cleaned = redact(message, secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return True


_FILTER = _RedactingFilter()


def guard_library_logs(secrets: Iterable[str]) -> Callable[[], None]:
    """Redact ``secrets`` from httpx/httpcore log records until the returned function is
    called (a client calls it when it closes)."""
    held = tuple(secret for secret in secrets if secret)
    with _GUARD_LOCK:
        for name in LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
        _GUARDED.update(held)
    released = False

    def release() -> None:
        nonlocal released
        with _GUARD_LOCK:
            if not released:
                _GUARDED.subtract(held)
                for secret in held:
                    if _GUARDED[secret] <= 0:
                        del _GUARDED[secret]
                released = True

    return release
