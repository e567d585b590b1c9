"""Every error the provider raises on purpose: the client's and the resource lifecycle's.

One tree, so callers can catch as broadly or as narrowly as they need::

    TrustStoreError                 base: catch this to handle every failure below
    │   failures of the client (one API call, or building the client)
    ├── ConfigurationError          the client cannot be built as asked (credentials, URL, TLS)
    ├── InvalidInputError           an argument was refused before any request was sent
    ├── TransportError              no complete answer in time, still after retries
    ├── ApiError                    Cloudflare answered with a failure, or unreadably
    │   ├── AuthenticationError     HTTP 401/403: bad credentials or missing permission
    │   ├── NotFoundError           HTTP 404: no such entry in that zone
    │   ├── AcmNotEnabledError      code 1450: the zone lacks Advanced Certificate Manager
    │   ├── RateLimitedError        HTTP 429, still after retries
    │   ├── ServerError             HTTP 408/5xx, still after retries
    │   └── MalformedResponseError  a success whose body breaks the documented contract, or
    │                               cannot be read within the client's bounds (size, nesting)
    │   decisions of the resource's lifecycle about one entry
    ├── DuplicateEntryError         the zone already holds this certificate; not adopted
    │   └── EntryClaimedError       ... and another resource of this stack manages it
    ├── NotActiveError              the entry did not reach ``active`` (timeout, expired, gone)
    ├── EmptyZoneError              a delete would leave the zone without a usable CA
    └── DeletionPendingError        the same CA's old entry is still being deleted

Lower-level errors (httpx, JSON, date parsing) are translated at the client boundary; they are
not chained when their own text quotes the server (which may echo a secret). Messages name the
operation, zone and entry, Cloudflare's codes and messages, and what to do next. No message,
repr, ``args`` or pickle carries a credential: errors are built only from ids, status codes
and server text passed through ``quote_server_text``, never from a request object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from policies.trust_rules.printable import printable
from provider.redaction import redact

#: Longest server-provided text quoted in a message; the rest is cut, so a huge body cannot
#: flood logs or terminals.
MAX_QUOTED_TEXT = 300


@dataclass(frozen=True)
class CloudflareMessage:
    """One entry of a Cloudflare envelope's ``errors`` list."""

    code: int
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def quote_server_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Server-provided text made safe to quote: secrets (whole or in part) and private-key
    blocks redacted, control characters escaped, and only then cut to a readable length, so no
    piece of a secret can survive at the cut."""
    secrets = tuple(secrets)
    # Only the start is shown: redact a generous window of it (a secret at the cut is whole
    # in the window), which also bounds the work on a huge text.
    window = 4 * MAX_QUOTED_TEXT + 2 * max((len(secret) for secret in secrets), default=0)
    text = " ".join(text.split())[:window]
    text = printable(redact(text, secrets))
    if len(text) > MAX_QUOTED_TEXT:
        return text[: MAX_QUOTED_TEXT - 1] + "…"
    return text


def _rebuild(
    cls: type[TrustStoreError], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> TrustStoreError:
    return cls(*args, **kwargs)


class TrustStoreError(Exception):
    """Base of every error this package raises on purpose.

    Errors cross the dynamic provider's process boundary pickled, and the default exception
    pickling replays only ``args`` (the message), which keyword-only constructors refuse. So
    every error keeps the arguments it was built with and is rebuilt from them: a subclass
    needs no pickling code of its own. Constructors therefore take only what may be shown.
    """

    _built_with: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        error = super().__new__(cls, *args)
        error._built_with = (args, kwargs)
        return error

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), *self._built_with))

    def __str__(self) -> str:
        return self.message


class ConfigurationError(TrustStoreError):
    """The client cannot be built as asked: missing credentials, insecure URL, bad settings."""


class InvalidInputError(TrustStoreError):
    """An argument was refused before any request was sent; ``parameter`` names it."""

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def describe_call(operation: str, zone_id: str, entry_id: str | None) -> str:
    """'upload to zone 023e…' style subject used at the start of every request error; a
    call about no one zone (the zone listing) is named by its operation alone."""
    if not zone_id:
        return f"Cloudflare {operation}"
    where = f"zone {zone_id}" if entry_id is None else f"zone {zone_id}, entry {entry_id}"
    return f"Cloudflare trust store {operation} ({where})"


def _attempts_text(attempts: int) -> str:
    return "" if attempts <= 1 else f" after {attempts} attempts"


class _RequestError(TrustStoreError):
    """Shared fields of errors tied to one client call (TransportError and ApiError)."""

    def __init__(
        self,
        *,
        operation: str,
        zone_id: str,
        entry_id: str | None = None,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        self.operation = operation
        self.zone_id = zone_id
        self.entry_id = entry_id
        self.attempts = attempts
        self.outcome_unknown = outcome_unknown
        super().__init__(self._compose())

    def _compose(self) -> str:
        raise NotImplementedError

    def _outcome_note(self) -> str:
        if not self.outcome_unknown:
            return ""
        if self.operation.startswith("upload"):
            return (
                " An earlier attempt may have reached Cloudflare: list the zone to see whether"
                " the certificate was stored before uploading it again."
            )
        return " An earlier attempt may have reached Cloudflare; check the entry before retrying."

    def with_attempts(self, attempts: int, *, outcome_unknown: bool) -> Self:
        """A copy recording how many attempts were made, for the error raised after retries."""
        args, kwargs = self._built_with
        kwargs = {**kwargs, "attempts": attempts, "outcome_unknown": outcome_unknown}
        return type(self)(*args, **kwargs)


class TransportError(_RequestError):
    """Cloudflare could not be reached, or the connection failed before an answer arrived."""

    def __init__(
        self,
        *,
        operation: str,
        zone_id: str,
        entry_id: str | None = None,
        host: str,
        reason: str,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        self.host = host
        self.reason = reason
        super().__init__(
            operation=operation,
            zone_id=zone_id,
            entry_id=entry_id,
            attempts=attempts,
            outcome_unknown=outcome_unknown,
        )

    def _compose(self) -> str:
        return (
            f"{describe_call(self.operation, self.zone_id, self.entry_id)} failed: no answer"
            f" from {self.host}{_attempts_text(self.attempts)} ({self.reason})."
            f"{self._outcome_note()} Check network access, proxy settings and the base URL"
            " (CLOUDFLARE_BASE_URL), then try again."
        )


class ApiError(_RequestError):
    """Cloudflare answered with a failure; keeps the HTTP status and Cloudflare's error list."""

    default_hint: ClassVar[str] = "Cloudflare's message says what to change."

    def __init__(
        self,
        *,
        operation: str,
        zone_id: str,
        entry_id: str | None = None,
        status_code: int,
        errors: tuple[CloudflareMessage, ...] = (),
        detail: str | None = None,
        hint: str | None = None,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        self.status_code = status_code
        self.errors = tuple(errors)
        self.detail = detail
        self.hint = hint or self.default_hint
        super().__init__(
            operation=operation,
            zone_id=zone_id,
            entry_id=entry_id,
            attempts=attempts,
            outcome_unknown=outcome_unknown,
        )

    @property
    def codes(self) -> tuple[int, ...]:
        """Cloudflare's error codes, in the order given."""
        return tuple(error.code for error in self.errors)

    def _compose(self) -> str:
        said = "; ".join(str(error) for error in self.errors) or "no error details"
        if self.detail:
            said = f"{said}; {self.detail}"
        said = said.rstrip(". ")  # Cloudflare's messages may end in a period; ours adds one
        return (
            f"{describe_call(self.operation, self.zone_id, self.entry_id)} failed with HTTP"
            f" {self.status_code}{_attempts_text(self.attempts)}: {said}."
            f"{self._outcome_note()} {self.hint}"
        )


class AuthenticationError(ApiError):
    """HTTP 401/403: the credentials are wrong or lack permission on the zone."""

    default_hint = (
        "Check the credentials: an API token needs 'SSL and Certificates' read (and write to"
        " change entries) on this zone; or use CLOUDFLARE_EMAIL with the global CLOUDFLARE_API_KEY."
    )


class NotFoundError(ApiError):
    """HTTP 404: the entry (or zone) does not exist; it may already have been deleted."""

    default_hint = (
        "The entry does not exist in this zone: it may have been deleted already, or the"
        " zone or entry id is wrong."
    )


class AcmNotEnabledError(ApiError):
    """Cloudflare code 1450: the zone has no Advanced Certificate Manager subscription."""

    default_hint = (
        "The Custom Origin Trust Store needs Advanced Certificate Manager: enable it for"
        " this zone in the Cloudflare dashboard (SSL/TLS > Edge Certificates), then retry."
    )


class RateLimitedError(ApiError):
    """HTTP 429 that persisted through every retry the policy allowed."""

    default_hint = (
        "Cloudflare allows 1200 requests per 5 minutes per user: wait a few minutes, reduce"
        " parallelism (pulumi up --parallel), or raise the client's retry budget."
    )


class ServerError(ApiError):
    """HTTP 408/5xx that persisted through every retry the policy allowed."""

    default_hint = (
        "Cloudflare could not serve the request: try again later, and check"
        " the Cloudflare status page if it persists."
    )


class MalformedResponseError(ApiError):
    """A success answer whose body breaks the documented contract, is not JSON, or cannot be
    read within the client's bounds (larger than 16 MiB decoded, nested too deeply)."""

    default_hint = (
        "The answer does not match Cloudflare's documented API: check that the base URL"
        " (CLOUDFLARE_BASE_URL) points at the Cloudflare API, not at a proxy or web page."
    )


# -- decisions of the resource's lifecycle ------------------------------------------------------


class _EntryError(TrustStoreError):
    """A decision about one entry of one zone."""

    def __init__(self, message: str, *, zone_id: str, entry_id: str) -> None:
        super().__init__(message)
        self.zone_id = zone_id
        self.entry_id = entry_id


class DuplicateEntryError(_EntryError):
    """Cloudflare refused the upload because the zone already holds the same certificate."""


class NotActiveError(TrustStoreError):
    """The entry did not become ``active`` within the wait the resource was given."""

    def __init__(self, message: str, *, zone_id: str, entry_id: str, last_status: str) -> None:
        super().__init__(message)
        self.zone_id = zone_id
        self.entry_id = entry_id
        self.last_status = last_status


class EntryClaimedError(DuplicateEntryError):
    """Adoption refused: another resource of the same stack manages the entry."""


class EmptyZoneError(_EntryError):
    """A delete refused: it would leave the zone with no usable CA (see ``allowEmptyZone``)."""


class DeletionPendingError(_EntryError):
    """An upload refused while the zone's earlier entry of the same CA is still being deleted,
    and that deletion did not finish within the wait."""
