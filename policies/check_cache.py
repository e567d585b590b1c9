"""``check``'s cache of parsed certificate facts, so an unchanged CA folder is judged in a blink.

Parsing and verifying a certificate's self-signature dominates a check; the verdicts themselves
are cheap and depend on the clock, so the cache keeps the *facts* (or why the file was refused),
never a verdict. An entry's key is the SHA-256 of the file's bytes, of the rules' source code
(with the ``cryptography`` version) and of the policy config: a changed byte, rule or setting
misses. A cache that cannot be read or parsed is ignored and rewritten; an entry that does not
rebuild into facts is a miss. The cache is written whole to a temporary file, then renamed.

It lives in ``$XDG_CACHE_HOME/cf-origin-trust-store/`` (default ``~/.cache/…``); ``--cache-dir``
moves it and ``--no-cache`` turns it off. It holds only public certificate data and fixed refusal
messages, never a file's private key text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cryptography

from policies.atomic_file import write_atomically
from policies.trust_rules import errors
from policies.trust_rules.catalog import entry_for
from policies.trust_rules.certificates import CertificateFacts
from policies.trust_rules.outcomes import Entry, Place

CACHE_FORMAT = 1
CACHE_FILE = f"check-facts-v{CACHE_FORMAT}.json"
APP_FOLDER = "cf-origin-trust-store"
#: Entries kept (least recently used dropped first); 10,000 CAs take about 15 MB.
MAX_ENTRIES = 50_000
#: A larger file is not ours (or not worth parsing): ignored.
MAX_CACHE_BYTES = 256 << 20
_RULES_FOLDER = Path(__file__).resolve().parent / "trust_rules"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / APP_FOLDER


@functools.cache
def rules_version() -> str:
    """A digest of the rules' code: any change to ``trust_rules`` invalidates every entry."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}:{cryptography.__version__}".encode())
    for source in sorted(_RULES_FOLDER.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _checker(annotation: str) -> Callable[[object], object] | None:
    def exact(kind: type) -> Callable[[object], object]:
        def check(value: object) -> object:
            if type(value) is not kind:
                raise TypeError(f"expected {kind.__name__}")
            return value

        return check

    def optional(inner: Callable[[object], object]) -> Callable[[object], object]:
        return lambda value: None if value is None else inner(value)

    def moment(value: object) -> object:
        if not isinstance(value, str):
            raise TypeError("expected a timestamp")
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("timestamp without a zone")
        return parsed

    simple: dict[str, Callable[[object], object]] = {
        "str": exact(str),
        "int": exact(int),
        "bool": exact(bool),
        "dt.datetime": moment,
    }
    if annotation in simple:
        return simple[annotation]
    if annotation.endswith(" | None") and annotation[: -len(" | None")] in simple:
        return optional(simple[annotation[: -len(" | None")]])
    return None


_FIELDS = {field.name: _checker(str(field.type)) for field in dataclasses.fields(CertificateFacts)}


def facts_to_json(facts: CertificateFacts) -> dict[str, object]:
    return {name: _iso(getattr(facts, name)) for name in _FIELDS}


def facts_from_json(data: Mapping[str, Any]) -> CertificateFacts:
    """Rebuild facts, checking every field's type; raises on anything unexpected."""
    if set(data) != set(_FIELDS):
        raise ValueError("fields differ")
    values: dict[str, Any] = {}
    for name, check in _FIELDS.items():
        if check is None:
            raise TypeError(f"no reader for field {name}")
        values[name] = check(data[name])
    return CertificateFacts(**values)


def _problem_from_json(data: object) -> errors.CertificateInputError:
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(x, str) for x in data)):
        raise TypeError("bad problem")
    kind = getattr(errors, data[0], None)
    if not (isinstance(kind, type) and issubclass(kind, errors.CertificateInputError)):
        raise TypeError("unknown problem")
    return kind(data[1])


class FactsCache:
    """Facts per file content, for one rules version and one policy config."""

    def __init__(self, folder: Path, config_fingerprint: str) -> None:
        self.path = folder / CACHE_FILE
        self._context = hashlib.sha256(
            f"{rules_version()}\n{config_fingerprint}".encode()
        ).hexdigest()
        self._entries = self._load()
        self._changed = False
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, Any]:
        try:
            if self.path.stat().st_size > MAX_CACHE_BYTES:
                return {}
            document = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}  # absent, unreadable or corrupt: start afresh
        if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _key(self, content: bytes) -> str:
        return hashlib.sha256(self._context.encode() + hashlib.sha256(content).digest()).hexdigest()

    def entry(self, content: bytes, text: str, place: Place) -> Entry:
        """The entry for a file's ``content`` (decoded as ``text``), from the cache or parsed."""
        key = self._key(content)
        cached = self._entries.pop(key, None)
        if isinstance(cached, dict):
            try:
                if "facts" in cached:
                    found = Entry(place, facts=facts_from_json(cached["facts"]))
                else:
                    found = Entry(place, problem=_problem_from_json(cached["problem"]))
            except (KeyError, TypeError, ValueError):
                pass  # an entry that does not rebuild is a miss
            else:
                self._entries[key] = cached  # most recently used last
                self.hits += 1
                return found
        self.misses += 1
        fresh = entry_for(text, place)
        if fresh.facts is not None:
            self._entries[key] = {"facts": facts_to_json(fresh.facts)}
        elif fresh.problem is not None:
            self._entries[key] = {"problem": [type(fresh.problem).__name__, str(fresh.problem)]}
        self._changed = True
        return fresh

    def save(self) -> None:
        """Write the cache atomically; raises ``OSError`` when the folder is not writable."""
        if not self._changed:
            return
        keys = list(self._entries)[-MAX_ENTRIES:]
        document = {"format": CACHE_FORMAT, "entries": {k: self._entries[k] for k in keys}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(document, separators=(",", ":")), mode=0o600)
        self._changed = False
