"""Synchronous Cloudflare API client for a zone's Custom Origin Trust Store.

Synchronous because Pulumi dynamic provider methods are synchronous (they run in a thread
pool). One ``TrustStoreClient`` wraps one ``httpx.Client``; use it as a context manager.

- ``list`` follows every page (50 per page), bounded by ``MAX_PAGES``.
- GET, list and DELETE are retried on 408/429/5xx and transport failures. A DELETE answered
  404 after an earlier attempt may have reached Cloudflare counts as done: the entry is gone,
  which is what was asked.
- Upload is not idempotent: after a failure that may have reached Cloudflare (read timeout,
  connection lost after sending, 5xx) the client lists the zone and returns the entry whose
  certificate matches (same DER bytes) instead of posting again; only if none matches does it
  post again, and if that post is refused (say, as a duplicate: the timed-out attempt landed
  meanwhile) it lists once more. One ``upload`` call therefore never creates two entries
  itself; a request still in flight on Cloudflare's side after a timeout can only be caught
  by Cloudflare's own duplicate check.
- Bounded: each exchange (connect, send, headers, whole body) has a deadline (60 s), bodies
  are read up to 16 MiB after decoding, and JSON is parsed strictly (no NaN/Infinity, no
  nesting too deep to parse): see ``provider.bounded_http``. A server that drips, floods or
  nests gets a ``TransportError`` or ``MalformedResponseError``, never a hang or a raw
  ``RecursionError``/``OverflowError``.
- Secrets live only in the credential object and the outgoing headers. Server text is redacted
  of them (whole or in part, and of private-key blocks), escaped, and only then cut before it
  is quoted; entry fields and httpx's own log records are redacted too. The client, like its
  credentials, refuses to be pickled.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Literal, NoReturn, TypeVar

import httpx
import tenacity

from policies.trust_rules.printable import printable
from provider.bounded_http import (
    ACCEPT_ENCODING,
    DEFAULT_EXCHANGE_DEADLINE,
    UnreadableBody,
    bound_sockets,
    decode_json,
    exchange_deadline,
    read_body,
)
from provider.credentials import Credentials, credentials_from_env
from provider.entries import (
    LEAVING_STATUSES,
    MAX_ID_LENGTH,
    EntryStatus,
    TrustStoreEntry,
    echo_id,
    parse_entry,
    parse_rfc3339,
    parse_status,
    validate_entry_id,
    validate_id,
)
from provider.error_hints import hint_for_codes
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    AuthenticationError,
    CloudflareMessage,
    ConfigurationError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    quote_server_text,
)
from provider.pacing import Pacer, process_pacer
from provider.redaction import guard_library_logs, redact
from provider.retry import RETRYABLE_STATUSES, RetryableFailure, RetryPolicy, parse_retry_after
from provider.zones import Zone, parse_zone

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
ENV_BASE_URL = "CLOUDFLARE_BASE_URL"

DEFAULT_CONNECT_TIMEOUT = 10.0
#: The official SDK waits 60 s for an answer; uploads are small, so this is generous.
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_WRITE_TIMEOUT = 60.0
DEFAULT_POOL_TIMEOUT = 10.0
DEFAULT_TIMEOUT = httpx.Timeout(
    connect=DEFAULT_CONNECT_TIMEOUT,
    read=DEFAULT_READ_TIMEOUT,
    write=DEFAULT_WRITE_TIMEOUT,
    pool=DEFAULT_POOL_TIMEOUT,
)
DEFAULT_RETRY_POLICY = RetryPolicy()
USER_AGENT = "cf-origin-trust-store/0.1"

#: The API's largest page; fewer pages means fewer requests against the rate limit.
PAGE_SIZE = 50
#: Guard against a server that never ends a listing: 200 pages of 50 is 10,000 entries,
#: far beyond any zone's trust store.
MAX_PAGES = 200
#: ``GET /zones`` serves at most 50 zones a page.
ZONE_PAGE_SIZE = 50
#: Guard against a zone listing that never ends: 2,000 pages of 50 is 100,000 zones.
MAX_ZONE_PAGES = 2000
#: The operation named in errors of ``list_zones`` (a call about no one zone).
ZONE_LISTING = "zone listing (GET /zones)"
ZONE_READ_HINT = (
    "Listing zones needs a token with Zone Read on the zones (and 'SSL and Certificates' read"
    " to audit their stores); or name the zones to audit with --zone instead of --all-zones."
)
#: A root CA in PEM is a few KiB; anything this large is a mistake, not a certificate.
MAX_CERTIFICATE_LENGTH = 64 * 1024
#: Cloudflare errors quoted from one answer; the rest are left out of the message.
MAX_QUOTED_ERRORS = 10
#: Cloudflare's code for "Advanced Certificate Manager is not enabled on this zone" (observed).
ACM_NOT_ENABLED_CODE = 1450
#: Cloudflare's codes for a path the API does not route (7000 "No route for that URI", 7003).
NO_ROUTE_CODES = frozenset({7000, 7003})

_LOG = logging.getLogger(__name__)
_LOOPBACK_NAMES = frozenset({"localhost"})
# Failures raised before a request could leave this machine: safe to resend even an upload.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_T = TypeVar("_T")
#: Distinct unknown statuses one client warns about; beyond that it stays quiet.
_MAX_UNKNOWN_STATUS_WARNINGS = 16

#: Names other modules import from here; the entry model lives in ``provider.entries``.
__all__ = [
    "LEAVING_STATUSES",
    "MAX_ID_LENGTH",
    "EntryStatus",
    "TrustStoreClient",
    "TrustStoreEntry",
    "echo_id",
    "parse_rfc3339",
    "validate_entry_id",
    "validate_id",
]


def _validate_certificate(certificate: object) -> str:
    if not isinstance(certificate, str):
        raise InvalidInputError(
            f"certificate must be a PEM string, not {type(certificate).__name__}.",
            parameter="certificate",
        )
    if not certificate.strip():
        raise InvalidInputError(
            "certificate is empty; give the root CA certificate in PEM form.",
            parameter="certificate",
        )
    if len(certificate) > MAX_CERTIFICATE_LENGTH:
        raise InvalidInputError(
            f"certificate is {len(certificate)} characters long, more than the"
            f" {MAX_CERTIFICATE_LENGTH} any single root CA certificate needs; upload one"
            " certificate per entry.",
            parameter="certificate",
        )
    return certificate


def certificate_identity(pem: str) -> bytes | str:
    """What makes two uploads the same certificate: DER bytes, or whitespace-free text if
    the PEM cannot be parsed here (Cloudflare then decides whether it is a certificate)."""
    # Imported here: cryptography is needed only to reconcile uploads, not to import the client.
    from cryptography.hazmat.primitives.serialization import Encoding

    from policies.trust_rules.certificates import parse_certificate_input
    from policies.trust_rules.errors import CertificateInputError

    try:
        # The project's parser: it refuses what cryptography would only warn about.
        return parse_certificate_input(pem).public_bytes(Encoding.DER)
    except CertificateInputError:
        return "".join(pem.split())


def _holding(entries: Iterable[TrustStoreEntry], pem: str) -> TrustStoreEntry | None:
    """The first entry holding the certificate ``pem`` and not on its way out."""
    wanted = certificate_identity(pem)
    for entry in entries:
        if (
            entry.status not in LEAVING_STATUSES
            and certificate_identity(entry.certificate) == wanted
        ):
            return entry
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_base_url(base_url: str, verify: bool | ssl.SSLContext) -> str:
    """Refuse base URLs that would send credentials in clear text or without TLS checks."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(
            "The base URL is not a valid URL; use https://api.cloudflare.com/client/v4."
        ) from exc
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError(
            f"The base URL must be an absolute https:// URL (got scheme {url.scheme!r});"
            " use https://api.cloudflare.com/client/v4."
        )
    if url.userinfo or url.query or url.fragment:
        raise ConfigurationError(
            f"The base URL for {url.host} must not carry a user, password, query or fragment;"
            " pass credentials as ApiToken or ApiKey."
        )
    loopback = _is_loopback(url.host)
    if url.scheme == "http" and not loopback:
        raise ConfigurationError(
            f"Refusing plain http:// for {url.host}: credentials would travel unencrypted. Use"
            " https://; plain http is allowed only for a loopback emulator (127.0.0.1,"
            " localhost, ::1)."
        )
    unverified = verify is False or (
        isinstance(verify, ssl.SSLContext)
        and (verify.verify_mode == ssl.CERT_NONE or not verify.check_hostname)
    )
    if unverified and not loopback:
        raise ConfigurationError(
            f"Refusing to turn off TLS certificate verification for {url.host}. Pass an"
            " ssl.SSLContext that verifies (CERT_REQUIRED, check_hostname) and trusts your"
            " proxy's CA instead; unverified TLS is allowed only for loopback hosts."
        )
    return str(url).rstrip("/") + "/"


@dataclass(frozen=True)
class _Call:
    """The client call an HTTP request belongs to, named in logs and errors."""

    operation: str
    zone_id: str
    entry_id: str | None = None


@dataclass(frozen=True)
class _Attempt:
    number: int
    #: An earlier attempt of this call may have reached Cloudflare and taken effect.
    maybe_applied: bool


@dataclass(frozen=True)
class _Page:
    entries: tuple[TrustStoreEntry, ...]
    page_size: int
    total_count: int | None


class TrustStoreClient:
    """List, get, upload and delete a zone's Custom Origin Trust Store entries."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        verify: bool | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
        deadline: float = DEFAULT_EXCHANGE_DEADLINE,
        pacer: Pacer | Literal["process"] | None = "process",
        on_pacing_wait: Callable[[float], None] | None = None,
    ) -> None:
        if isinstance(deadline, bool) or not (
            isinstance(deadline, int | float) and math.isfinite(deadline) and deadline > 0
        ):
            raise ConfigurationError(
                "The client's deadline must be a finite number of seconds above 0."
            )
        self._deadline = float(deadline)
        # Every client of the process shares one bucket unless a caller brings its own.
        self._pacer = process_pacer() if pacer == "process" else pacer
        self._on_pacing_wait = on_pacing_wait
        self._credentials = credentials
        self._retry = retry
        self._unknown_statuses: set[str] = set()
        self._base_url = _checked_base_url(base_url, verify)
        self._host = httpx.URL(self._base_url).host
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": USER_AGENT,
        }
        headers.update(credentials.auth_headers())
        self._http = httpx.Client(
            base_url=self._base_url,
            headers=headers,
            timeout=timeout,
            verify=verify,
            transport=transport,
            follow_redirects=False,
        )
        bound_sockets(self._http)
        self._release_logs = guard_library_logs(credentials.secrets())

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        verify: bool | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
        deadline: float = DEFAULT_EXCHANGE_DEADLINE,
        pacer: Pacer | Literal["process"] | None = "process",
        on_pacing_wait: Callable[[float], None] | None = None,
    ) -> TrustStoreClient:
        """Build from CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY) and
        CLOUDFLARE_BASE_URL, the variables the official SDK reads."""
        import os

        env = os.environ if environ is None else environ
        return cls(
            credentials_from_env(env),
            base_url=env.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            timeout=timeout,
            retry=retry,
            verify=verify,
            transport=transport,
            deadline=deadline,
            pacer=pacer,
            on_pacing_wait=on_pacing_wait,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()
        self._release_logs()

    def __enter__(self) -> TrustStoreClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TrustStoreClient(base_url={self._base_url!r}, credentials={self._credentials!r})"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "TrustStoreClient holds credentials and a connection pool and cannot be pickled;"
            " build it inside the provider method that uses it."
        )

    # -- public operations -------------------------------------------------------------------

    def list(self, zone_id: str) -> tuple[TrustStoreEntry, ...]:
        """Every entry of the zone, across all pages."""
        call = _Call("list", validate_id(zone_id, "zone_id"))

        def fetch(page: int) -> _Page:
            return self._with_retries(
                call, functools.partial(self._fetch_page, call, page), mutating=False
            )

        return self._collect(call, fetch)

    def list_zones(self) -> tuple[Zone, ...]:
        """Every zone the credentials can see (``GET /zones``), across all pages, each once.

        Pages are read in order until a short page, ``total_pages`` or ``total_count`` says
        the listing is complete, bounded by ``MAX_ZONE_PAGES``; each page is retried and paced
        like any other request.
        """
        call = _Call(ZONE_LISTING, "")
        found: dict[str, Zone] = {}
        fetched = 0
        for page_number in range(1, MAX_ZONE_PAGES + 1):

            def attempt(current: _Attempt, page: int = page_number) -> dict[str, Any]:
                return self._send(
                    call, current, "GET", "zones", params={"page": page, "per_page": ZONE_PAGE_SIZE}
                )

            payload = self._with_retries(call, attempt, mutating=False)
            result = payload.get("result")
            result = [] if result is None else result
            if not isinstance(result, list):
                raise self._malformed(call, f"'result' of page {page_number} is not a list")
            try:
                zones = [parse_zone(item) for item in result]
            except ValueError as exc:
                raise self._malformed(call, str(exc)) from None
            for zone in zones:
                found.setdefault(zone.id, zone)
            fetched += len(zones)
            info = payload.get("result_info")
            info = info if isinstance(info, dict) else {}
            per_page = _whole_number(info.get("per_page")) or ZONE_PAGE_SIZE
            total_pages = _whole_number(info.get("total_pages"))
            total_count = _whole_number(info.get("total_count"))
            if (
                len(zones) < per_page
                or (total_pages is not None and page_number >= total_pages)
                or (total_count is not None and fetched >= total_count)
            ):
                return tuple(found.values())
        raise self._malformed(
            call, f"the zone listing did not end after {MAX_ZONE_PAGES} pages of {ZONE_PAGE_SIZE}"
        )

    def get(self, zone_id: str, entry_id: str) -> TrustStoreEntry:
        """One entry; NotFoundError if the zone has no such entry."""
        call = _Call("get", validate_id(zone_id, "zone_id"), validate_entry_id(entry_id))

        def attempt(current: _Attempt) -> TrustStoreEntry:
            payload = self._send(call, current, "GET", self._entry_path(call))
            entry = self._parse_entry(call, payload.get("result"))
            if entry.id != call.entry_id:
                raise self._malformed(call, f"asked for entry {call.entry_id}, got {entry.id}")
            return entry

        return self._with_retries(call, attempt, mutating=False)

    def upload(self, zone_id: str, certificate: str) -> TrustStoreEntry:
        """Upload a root CA certificate (PEM); never creates two entries for one call."""
        call = _Call("upload", validate_id(zone_id, "zone_id"))
        pem = _validate_certificate(certificate)

        def attempt(current: _Attempt) -> TrustStoreEntry:
            if current.maybe_applied:
                stored = self._find_stored(call, current, pem)
                if stored is not None:
                    _LOG.info(
                        "upload to zone %s had reached Cloudflare: reusing entry %s",
                        call.zone_id,
                        stored.id,
                    )
                    return stored
            try:
                payload = self._send(
                    call, current, "POST", self._collection_path(call), body={"certificate": pem}
                )
            except ApiError as refusal:
                # A refusal after an attempt that timed out may be "already exists": that
                # attempt was still in flight when we listed, and has landed since.
                if type(refusal) is ApiError and current.maybe_applied:
                    stored = self._find_stored(call, current, pem)
                    if stored is not None:
                        _LOG.info(
                            "upload to zone %s was refused after an earlier attempt landed:"
                            " reusing entry %s",
                            call.zone_id,
                            stored.id,
                        )
                        return stored
                raise
            return self._parse_entry(call, payload.get("result"))

        return self._with_retries(call, attempt, mutating=True)

    def find(self, zone_id: str, certificate: str) -> TrustStoreEntry | None:
        """The zone's entry holding ``certificate`` (same certificate, however the PEM is
        laid out), unless it is being deleted; ``None`` if there is none. Lists the zone."""
        pem = _validate_certificate(certificate)
        return _holding(self.list(zone_id), pem)

    def delete(self, zone_id: str, entry_id: str) -> None:
        """Delete an entry (Cloudflare finishes asynchronously: GET may show pending_deletion).

        NotFoundError if the entry does not exist, except after an earlier attempt of this call
        may have deleted it: then 404 is the expected outcome and the call succeeds.
        """
        call = _Call("delete", validate_id(zone_id, "zone_id"), validate_entry_id(entry_id))

        def attempt(current: _Attempt) -> None:
            try:
                self._send(call, current, "DELETE", self._entry_path(call))
            except NotFoundError:
                if not current.maybe_applied:
                    raise
                _LOG.info(
                    "delete of entry %s in zone %s had reached Cloudflare: it is gone",
                    call.entry_id,
                    call.zone_id,
                )

        self._with_retries(call, attempt, mutating=True)

    # -- paths -------------------------------------------------------------------------------

    @staticmethod
    def _collection_path(call: _Call) -> str:
        return f"zones/{call.zone_id}/acm/custom_trust_store"

    @staticmethod
    def _entry_path(call: _Call) -> str:
        return f"zones/{call.zone_id}/acm/custom_trust_store/{call.entry_id}"

    # -- listing -----------------------------------------------------------------------------

    def _fetch_page(self, call: _Call, page: int, current: _Attempt) -> _Page:
        payload = self._send(
            call,
            current,
            "GET",
            self._collection_path(call),
            params={"page": page, "per_page": PAGE_SIZE},
        )
        result = payload.get("result")
        if result is None:
            result = []
        if not isinstance(result, list):
            raise self._malformed(call, f"'result' of page {page} is not a list")
        entries = tuple(self._parse_entry(call, item) for item in result)
        info = payload.get("result_info")
        info = info if isinstance(info, dict) else {}
        page_size = _whole_number(info.get("per_page"))
        return _Page(
            entries=entries,
            page_size=page_size if page_size else PAGE_SIZE,
            total_count=_whole_number(info.get("total_count")),
        )

    def _collect(self, call: _Call, fetch: Callable[[int], _Page]) -> tuple[TrustStoreEntry, ...]:
        """Follow pages until a short page or total_count, whichever comes first."""
        found: dict[str, TrustStoreEntry] = {}
        fetched = 0
        for page_number in range(1, MAX_PAGES + 1):
            page = fetch(page_number)
            fetched += len(page.entries)
            for entry in page.entries:
                found.setdefault(entry.id, entry)
            short = len(page.entries) < page.page_size
            if short or (page.total_count is not None and fetched >= page.total_count):
                return tuple(found.values())
        raise self._malformed(
            call, f"the listing did not end after {MAX_PAGES} pages of {PAGE_SIZE} entries"
        )

    def _find_stored(self, call: _Call, current: _Attempt, pem: str) -> TrustStoreEntry | None:
        """The live entry holding ``pem``, if an earlier upload attempt stored it."""
        listing = _Call("upload (checking whether an earlier attempt succeeded)", call.zone_id)
        entries = self._collect(listing, lambda page: self._fetch_page(listing, page, current))
        return _holding(entries, pem)

    # -- one HTTP exchange -------------------------------------------------------------------

    def _with_retries(
        self, call: _Call, attempt: Callable[[_Attempt], _T], *, mutating: bool
    ) -> _T:
        """Run ``attempt`` until it succeeds, fails for good, or the policy's budget is spent."""

        def log_retry(state: tenacity.RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome is not None else None
            error = failure.error if isinstance(failure, RetryableFailure) else failure
            _LOG.debug(
                "%s in zone %s: attempt %d failed (%s); retrying in %.3fs",
                call.operation,
                call.zone_id,
                state.attempt_number,
                type(error).__name__,
                state.upcoming_sleep,
            )

        retrying = self._retry.retrying(log_retry)
        maybe_applied = False
        try:
            for state in retrying:
                with state:
                    try:
                        return attempt(_Attempt(state.retry_state.attempt_number, maybe_applied))
                    except RetryableFailure as failure:
                        maybe_applied = maybe_applied or failure.maybe_applied
                        raise
        except RetryableFailure as failure:
            final = failure.error.with_attempts(
                retrying.statistics["attempt_number"], outcome_unknown=mutating and maybe_applied
            )
            raise final from failure.__cause__
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self,
        call: _Call,
        current: _Attempt,
        method: str,
        path: str,
        *,
        params: dict[str, int] | None = None,
        body: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One request; returns a success envelope or raises (retryable or final).

        The whole exchange is bounded by the client's deadline, and the body by
        ``bounded_http.MAX_RESPONSE_BYTES`` after decoding; a body that cannot be read within
        those bounds is judged like any other body that is not a Cloudflare envelope.
        """
        if self._pacer is not None:
            self._pacer.acquire(self._on_pacing_wait)
        started = time.monotonic()
        try:
            with (
                exchange_deadline(self._deadline),
                self._http.stream(method, path, params=params, json=body) as response,
            ):
                try:
                    content: bytes | UnreadableBody = read_body(response)
                except UnreadableBody as problem:
                    content = problem
        except httpx.TransportError as exc:
            _LOG.debug("%s %s -> %s (attempt %d)", method, path, type(exc).__name__, current.number)
            if time.monotonic() - started >= self._deadline:
                reason = f"no complete answer within the {self._deadline:g} s deadline"
            else:
                reason = self._quote(f"{type(exc).__name__}: {exc}".rstrip(": "))
            error = TransportError(
                operation=call.operation,
                zone_id=call.zone_id,
                entry_id=call.entry_id,
                host=self._host,
                reason=reason,
            )
            # A protocol error's text may quote what the server sent (a header line, say),
            # unredacted: it is not chained, and the reason carries its gist, redacted. The
            # others come from the socket and are kept as the cause.
            cause = None if isinstance(exc, httpx.ProtocolError) else exc
            raise RetryableFailure(
                error, retry_after=None, maybe_applied=not isinstance(exc, _NOT_SENT)
            ) from cause
        _LOG.debug("%s %s -> %d (attempt %d)", method, path, response.status_code, current.number)
        if self._pacer is not None:
            if response.status_code == 429:
                self._pacer.slow_down(parse_retry_after(response.headers.get("retry-after")))
            else:
                self._pacer.record_success()
        return self._read_envelope(call, response, content)

    def _read_envelope(
        self, call: _Call, response: httpx.Response, content: bytes | UnreadableBody
    ) -> dict[str, Any]:
        status = response.status_code
        problem = content if isinstance(content, UnreadableBody) else None
        payload: object = None
        if problem is None and isinstance(content, bytes):
            try:
                payload = decode_json(content)
            except UnreadableBody as exc:
                # Plain non-JSON (an HTML error page) is described by its content type below.
                problem = exc if str(exc) != "the body is not JSON" else None
        envelope = payload if isinstance(payload, dict) else None
        if 200 <= status < 300 and envelope is not None and envelope.get("success") is True:
            return envelope
        errors = self._errors_of(envelope)
        detail = None
        if problem is not None:
            detail = str(problem)
        elif envelope is None:
            kind = self._quote(response.headers.get("content-type", "no content type"))
            detail = f"the body is not a Cloudflare JSON envelope ({kind})"
        elif 200 <= status < 300 and envelope.get("success") is not False:
            detail = "the envelope's 'success' is not true"
        if 200 <= status < 300 and not errors:
            raise self._malformed(call, detail or "success is false but no errors are given")
        error_class = _error_class(status, errors)
        error = error_class(
            operation=call.operation,
            zone_id=call.zone_id,
            entry_id=call.entry_id,
            status_code=status,
            errors=errors,
            detail=detail,
            hint=_hint_for(call, status, errors, error_class),
        )
        if status in RETRYABLE_STATUSES:
            raise RetryableFailure(
                error,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                maybe_applied=status >= 500,
            )
        raise error

    def _errors_of(self, envelope: dict[str, Any] | None) -> tuple[CloudflareMessage, ...]:
        raw = envelope.get("errors") if envelope is not None else None
        if not isinstance(raw, list):
            return ()
        errors = []
        for item in raw[:MAX_QUOTED_ERRORS]:
            if isinstance(item, dict):
                code = item.get("code")
                message = item.get("message")
                errors.append(
                    CloudflareMessage(
                        code=code if isinstance(code, int) and not isinstance(code, bool) else 0,
                        message=self._quote(str(message or "")),
                    )
                )
        return tuple(errors)

    # -- parsing -----------------------------------------------------------------------------

    def _parse_entry(self, call: _Call, data: object) -> TrustStoreEntry:
        try:
            entry = parse_entry(data)
        except ValueError as exc:
            # Not chained: the parser's own message quotes server text unredacted.
            raise self._malformed(call, str(exc)) from None
        entry = self._redacted(entry)
        if not isinstance(entry.status, EntryStatus):
            self._warn_unknown_status(call, entry.status)
        return entry

    def _redacted(self, entry: TrustStoreEntry) -> TrustStoreEntry:
        """The entry with any credential the server echoed into its text fields redacted, and
        control characters in its one-line fields escaped: entries become resource outputs,
        kept in state and shown by ``pulumi up``."""
        secrets = self._credentials.secrets()
        fields = {
            "certificate": entry.certificate,
            "issuer": entry.issuer,
            "signature": entry.signature,
            "status": entry.status,
        }
        joined = "\0".join(fields.values())
        one_line = (entry.issuer, entry.signature, entry.status)
        if redact(joined, secrets) == joined and all(text.isprintable() for text in one_line):
            return entry  # the usual case, in one pass
        return replace(
            entry,
            certificate=redact(entry.certificate, secrets),
            issuer=printable(redact(entry.issuer, secrets)),
            signature=printable(redact(entry.signature, secrets)),
            status=parse_status(printable(redact(entry.status, secrets))),
        )

    def _warn_unknown_status(self, call: _Call, value: str) -> None:
        """Warn once per client about a status this client does not know."""
        if value not in self._unknown_statuses and (
            len(self._unknown_statuses) < _MAX_UNKNOWN_STATUS_WARNINGS
        ):
            self._unknown_statuses.add(value)
            _LOG.warning(
                "%s in zone %s: Cloudflare reported entry status %r, which this client does not"
                " know; passing it through as a string. Upgrade the provider if it persists.",
                call.operation,
                call.zone_id,
                self._quote(value),
            )

    def _malformed(self, call: _Call, detail: str) -> MalformedResponseError:
        return MalformedResponseError(
            operation=call.operation,
            zone_id=call.zone_id,
            entry_id=call.entry_id,
            status_code=200,
            detail=self._quote(detail),
        )

    def _quote(self, text: str) -> str:
        """Text that came from outside (server or socket errors), fit to quote: redacted of
        credentials, escaped, then cut (see ``quote_server_text``)."""
        return quote_server_text(text, self._credentials.secrets())


def _whole_number(value: object) -> int | None:
    """A JSON number that is a whole number >= 0 (the schema says 'number'), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


def _error_class(status: int, errors: tuple[CloudflareMessage, ...]) -> type[ApiError]:
    if any(error.code == ACM_NOT_ENABLED_CODE for error in errors):
        return AcmNotEnabledError
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitedError
    if status == 408 or status >= 500:
        return ServerError
    return ApiError


def _hint_for(
    call: _Call, status: int, errors: tuple[CloudflareMessage, ...], error_class: type[ApiError]
) -> str | None:
    """Advice where the error class's default says too little (None: keep the default)."""
    if call.operation == ZONE_LISTING and error_class is AuthenticationError:
        return ZONE_READ_HINT
    if error_class is not ApiError:
        return None
    documented = hint_for_codes(error.code for error in errors)
    if documented is not None:
        return documented
    if not errors:
        return (
            "The answer carries no Cloudflare error, so it may not come from the Cloudflare"
            " API: check the base URL (CLOUDFLARE_BASE_URL) and any proxy on the way."
        )
    if any(error.code in NO_ROUTE_CODES for error in errors):
        return (
            "The API has no such route: the base URL must be the API's root, ending in"
            f" /client/v4 (like {DEFAULT_BASE_URL}); check CLOUDFLARE_BASE_URL."
        )
    if call.operation == "upload" and any("expired" in e.message.lower() for e in errors):
        return "An expired CA cannot be deployed: upload a root CA that is valid now."
    if call.operation == "upload" and status == 400:
        return (
            "Cloudflare accepts only self-signed root CA certificates (basicConstraints"
            " CA:TRUE) in PEM form: check the certificate, or upload its root instead of an"
            " intermediate or leaf."
        )
    return None
