"""The trust store entry as Cloudflare describes it: ids, statuses, timestamps, the entry itself.

Pure: no HTTP, no logging. The client turns each JSON entry into a ``TrustStoreEntry`` with
``parse_entry`` and translates its ``ValueError`` into a ``MalformedResponseError``; the
provider and the stack program use the dataclass and the statuses.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass

from policies.trust_rules.printable import echo_input
from policies.trust_rules.resource_type import EntryStatus
from provider.errors import InvalidInputError

MAX_ID_LENGTH = 32
#: Distinct timestamps remembered by parse_rfc3339 (a few hundred bytes each).
RFC3339_CACHE_SIZE = 4096

_ID_PATTERN = re.compile(rf"[0-9a-fA-F]{{1,{MAX_ID_LENGTH}}}")
_UUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
#: Longest text a timestamp can be; longer strings are refused without being quoted.
_MAX_TIMESTAMP_LENGTH = 64


_STATUS_BY_VALUE = {status.value: status for status in EntryStatus}


@dataclass(frozen=True)
class TrustStoreEntry:
    """One root CA certificate in a zone's Custom Origin Trust Store."""

    id: str
    certificate: str
    expires_on: dt.datetime
    issuer: str
    signature: str
    #: A documented status, or Cloudflare's own string for one this client does not know.
    status: EntryStatus | str
    updated_at: dt.datetime
    uploaded_on: dt.datetime


def parse_status(value: str) -> EntryStatus | str:
    """The documented status, or ``value`` itself for one this client does not know."""
    return _STATUS_BY_VALUE.get(value, value)


@functools.lru_cache(maxsize=RFC3339_CACHE_SIZE)
def parse_rfc3339(text: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp strictly (offset required) into an aware UTC datetime.

    Cached: listings repeat the same instants (uploaded_on == updated_at, batch uploads, the
    same zone listed again), and parsing is most of a listing's client-side cost.
    """
    if len(text) > _MAX_TIMESTAMP_LENGTH:
        raise ValueError(f"a {len(text)}-character string is not an RFC 3339 timestamp")
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    fraction = (match["fraction"] or ".")[1:7].ljust(6, "0")
    offset = match["offset"].upper()
    if offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} has an invalid UTC offset")
    iso = f"{match['date']}T{match['time']}.{fraction}{'+00:00' if offset == 'Z' else offset}"
    return dt.datetime.fromisoformat(iso).astimezone(dt.UTC)


def echo_id(value: str) -> str:
    """How a refused id is quoted: as ``echo_input`` quotes any refused value (a secret pasted
    into the wrong setting is not written to logs)."""
    return echo_input(value)


def validate_id(value: object, parameter: str) -> str:
    """``value`` lowercased if it is a Cloudflare id (1-32 hex digits), so it cannot alter a
    request path; Cloudflare's ids are lowercase hex, and the API may not match other case."""
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{parameter} must be a string of hex digits, not {type(value).__name__}.",
            parameter=parameter,
        )
    if _ID_PATTERN.fullmatch(value) is None:
        raise InvalidInputError(
            f"{parameter} {echo_id(value)} is not a Cloudflare id: expected 1 to"
            f" {MAX_ID_LENGTH} hex digits, like 023e105f4ecef8ad9ca31a8372d0c353 (see the zone's"
            " Overview page).",
            parameter=parameter,
        )
    return value.lower()


def is_cloudflare_id(value: object) -> bool:
    """Whether ``value`` has the shape of a Cloudflare id: 1 to 32 hex digits, either case."""
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


def validate_entry_id(value: object, parameter: str = "entry_id") -> str:
    """``value`` lowercased if it is a trust store entry id, in either form Cloudflare may use.

    The API reference says an entry id is at most 32 characters (32 hex digits in practice),
    while the official SDK's generated tests use UUID-form ids (8-4-4-4-12 hex digits, 36
    characters); which form the live API issues is unconfirmed, so both are accepted. Nothing
    else is: hex digits and dashes in exactly these shapes cannot alter a request path. The one
    validator of entry ids: the client, the provider and ``audit`` all reach it.
    """
    if isinstance(value, str) and _UUID_PATTERN.fullmatch(value) is not None:
        return value.lower()
    if not isinstance(value, str) or _ID_PATTERN.fullmatch(value) is None:
        if isinstance(value, str):
            raise InvalidInputError(
                f"{parameter} {echo_id(value)} is not a Cloudflare id: expected"
                f" 1 to {MAX_ID_LENGTH} hex digits (like 0123456789abcdef0123456789abcdef) or a"
                " UUID (like 01234567-89ab-cdef-0123-456789abcdef); list the zone's trust store"
                " to find the entry's id.",
                parameter=parameter,
            )
        return validate_id(value, parameter)  # the same refusal of non-strings
    return value.lower()


ENTRY_FIELD_NAMES = (
    "id",
    "certificate",
    "expires_on",
    "issuer",
    "signature",
    "status",
    "updated_at",
    "uploaded_on",
)
_ENTRY_FIELDS = operator.itemgetter(*ENTRY_FIELD_NAMES)


def parse_entry(data: object) -> TrustStoreEntry:
    """The entry in one JSON object of Cloudflare's; ``ValueError`` says what is wrong."""
    # On the hot path of every listing: one look-up for all eight fields, then checks.
    if not isinstance(data, dict):
        raise ValueError("'result' is not an entry object")
    try:
        values = _ENTRY_FIELDS(data)
    except KeyError:
        values = tuple(data.get(name) for name in ENTRY_FIELD_NAMES)
    for name, value in zip(ENTRY_FIELD_NAMES, values, strict=True):
        if type(value) is not str:
            raise ValueError(f"an entry is malformed: field {name!r} is missing or not a string")
    id_, certificate, expires_on, issuer, signature, status, updated_at, uploaded_on = values
    try:
        return TrustStoreEntry(
            id=validate_entry_id(id_, "id"),
            certificate=certificate,
            expires_on=parse_rfc3339(expires_on),
            issuer=issuer,
            signature=signature,
            status=parse_status(status),
            updated_at=parse_rfc3339(updated_at),
            uploaded_on=parse_rfc3339(uploaded_on),
        )
    except (ValueError, InvalidInputError) as exc:
        raise ValueError(f"an entry is malformed: {exc}") from exc
