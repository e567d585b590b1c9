"""Cloudflare API errors as the emulator returns them: code, wording and HTTP status.

Every failure body has Cloudflare's shape::

    {"success": false, "errors": [{"code": 7003, "message": "..."}], "messages": [], "result": null}

Where each code comes from
--------------------------
OBSERVED in the real API (codes and wording from public reports of real responses). Where
the HTTP status was not reported reliably, the status is OUR choice and marked "ours":

==========  ========  ===============================================================
code        status    meaning
==========  ========  ===============================================================
1450        400 ours  Advanced Certificate Manager is not enabled on the zone (every
                      custom-trust-store call). The code is observed; the WORDING is ours
                      (the real text was not found).
7003 + 7000 400 ours  invalid identifier in the path: ``Could not route to /zones/...,
                      perhaps your object identifier is invalid?`` then ``No route for
                      that URI`` (public mocks use 400 or 404; we chose 400).
7000        400 ours  unknown route under ``/client/v4``: ``No route for that URI``.
971         429       rate limited: ``Please wait and consider throttling your request
                      speed``, with a ``Retry-After`` header. (971 is below the excerpt's
                      ``minimum: 1000`` for error codes: a deviation of the real API that we
                      keep; the contract check tolerates exactly this one.)
6003/6111   400       ``Invalid request headers`` with an ``error_chain`` entry 6111
                      ``Invalid format for Authorization header`` (not ``Bearer <token>``);
                      6102/6103 ``Invalid format for X-Auth-Email/X-Auth-Key header`` for an
                      incomplete legacy pair.
9109        403       ``Invalid access token`` (well-formed bearer token that is not valid).
9103        403 ours  ``Unknown X-Auth-Key or X-Auth-Email`` (legacy pair is wrong).
10000       401 ours  ``Authentication error`` when NO credentials were sent.
10000       405       ``<METHOD> method not allowed for the api_token authentication
                      scheme`` for a method the route does not have.
==========  ========  ===============================================================

DOCUMENTED by Cloudflare. Source: "Custom certificates > Troubleshooting > Error codes",
developers.cloudflare.com/ssl/edge-certificates/custom-certificates/troubleshooting/ (read
2026-12 through the project's research tools). Only 1411 names this store; 1002, 1220 and
2000 are documented for custom (edge) certificates, the sibling API of the same SSL service,
with the same meaning, so the emulator uses them here too (an assumption, marked "sibling").
The page gives no HTTP statuses: those are ours.

==========  ========  ===============================================================
1411        400 ours  ``Only root CA certificate is allowed.`` (this store): not a CA, or
                      not self-signed. The wording is the documented one; the emulator's
                      reason follows in ``error_chain``. Documented fix: issue the root
                      with basicConstraints CA:TRUE (openssl ``-extensions v3_ca``).
1002        400 ours  ``Invalid certificate.`` (sibling): not a parseable PEM X.509
                      certificate, extra text, wrong BEGIN/END lines. Reason in
                      ``error_chain``.
1220        400 ours  ``This certificate has already been submitted.`` (sibling):
                      the same certificate (SHA-256 of the DER) is already in the zone's
                      store and not being deleted. The existing id is in ``error_chain``.
2000        500 ours  ``An unknown error has occurred.`` (sibling): an emulator bug (never
                      expected; tests fail on it).
==========  ========  ===============================================================

Documented on that page for custom certificates only, never returned here (listed so our own
codes avoid them): 1212, 1228, 1305, 1434, 2005, 2100, 2101, 2103, 2106, 2200.

OUR CHOICE (no documented or observed code; the emulator keeps these stable so clients and
tests can rely on them). They sit in 1412..1423, beside 1411 and the observed 1450, and
collide with no documented code:

==========  ======  =================================================================
1412        400     ``certificate`` missing or not a string
1414        400     more than one certificate in one upload
1416        400     private key material in the request (the key is never echoed)
1417        400     the certificate has already expired (per the emulator clock)
1419        404     no such trust store entry in the zone
1420        400     invalid ``page``/``per_page``/``limit``/``offset`` (or zone listing)
                    query parameter
1421        400     request body is not UTF-8 JSON (was 1411 before 1411 was found
                    documented with another meaning), or nested too deeply
1422        413     request body larger than the emulator reads (1 MiB)
1423        400     malformed HTTP request: conflicting or non-numeric Content-Length,
                    Transfer-Encoding with Content-Length, a bad chunk, no Host (the
                    server refuses these before any handler runs; also used, with the
                    HTTP status, for 414/431/501/505 from the HTTP layer). The real edge
                    answers such requests with an HTML page.
1000+status  any    injected ``error`` fault (``POST /__emulator/faults``), e.g. 1503; it
                    may equal a code above (status 411 gives 1411): pass ``code`` to choose
==========  ======  =================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Observed codes.
ACM_DISABLED = 1450
NO_ROUTE = 7000
INVALID_ROUTE = 7003
RATE_LIMITED = 971
INVALID_HEADERS = 6003
INVALID_AUTHORIZATION_FORMAT = 6111
INVALID_EMAIL_FORMAT = 6102
INVALID_KEY_FORMAT = 6103
INVALID_ACCESS_TOKEN = 9109
UNKNOWN_KEY_OR_EMAIL = 9103
AUTHENTICATION_ERROR = 10000

# Documented (see the module docstring).
NOT_ROOT_CA = 1411
UNPARSEABLE_CERTIFICATE = 1002
DUPLICATE_CERTIFICATE = 1220
INTERNAL_ERROR = 2000

# Our choices (see the module docstring).
MISSING_CERTIFICATE = 1412
MULTIPLE_CERTIFICATES = 1414
PRIVATE_KEY_MATERIAL = 1416
CERTIFICATE_EXPIRED = 1417
NOT_FOUND = 1419
INVALID_QUERY = 1420
INVALID_BODY = 1421
BODY_TOO_LARGE = 1422
MALFORMED_REQUEST = 1423


@dataclass
class ApiError(Exception):
    """A failure the API answers with: HTTP status and one or more ``{code, message}``."""

    status: int
    code: int
    message: str
    more: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    error_chain: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.message}")

    def errors(self) -> list[dict[str, Any]]:
        first: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.error_chain:
            first["error_chain"] = self.error_chain
        return [first, *self.more]

    def body(self) -> dict[str, Any]:
        return {"success": False, "errors": self.errors(), "messages": [], "result": None}


def acm_disabled(zone_id: str) -> ApiError:
    return ApiError(
        400,
        ACM_DISABLED,
        "Advanced Certificate Manager is not enabled for this zone; "
        "the custom origin trust store requires it.",
    )


def invalid_route(path: str) -> ApiError:
    return ApiError(
        400,
        INVALID_ROUTE,
        f"Could not route to {path}, perhaps your object identifier is invalid?",
        more=[{"code": NO_ROUTE, "message": "No route for that URI"}],
    )


def no_route() -> ApiError:
    return ApiError(400, NO_ROUTE, "No route for that URI")


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405,
        AUTHENTICATION_ERROR,
        f"{method} method not allowed for the api_token authentication scheme",
    )


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        RATE_LIMITED,
        "Please wait and consider throttling your request speed",
        headers={"Retry-After": str(retry_after)},
    )


def missing_credentials() -> ApiError:
    return ApiError(401, AUTHENTICATION_ERROR, "Authentication error")


def invalid_authorization_format() -> ApiError:
    return ApiError(
        400,
        INVALID_HEADERS,
        "Invalid request headers",
        error_chain=[
            {
                "code": INVALID_AUTHORIZATION_FORMAT,
                "message": "Invalid format for Authorization header",
            }
        ],
    )


def incomplete_key_pair(email_missing: bool, key_missing: bool) -> ApiError:
    chain = []
    if email_missing:
        chain.append(
            {"code": INVALID_EMAIL_FORMAT, "message": "Invalid format for X-Auth-Email header"}
        )
    if key_missing:
        chain.append(
            {"code": INVALID_KEY_FORMAT, "message": "Invalid format for X-Auth-Key header"}
        )
    return ApiError(400, INVALID_HEADERS, "Invalid request headers", error_chain=chain)


def invalid_token() -> ApiError:
    return ApiError(403, INVALID_ACCESS_TOKEN, "Invalid access token")


def unknown_key_or_email() -> ApiError:
    return ApiError(403, UNKNOWN_KEY_OR_EMAIL, "Unknown X-Auth-Key or X-Auth-Email")


def invalid_body(detail: str) -> ApiError:
    return ApiError(400, INVALID_BODY, f"Invalid request body: {detail}")


def missing_certificate() -> ApiError:
    return ApiError(
        400,
        MISSING_CERTIFICATE,
        "certificate is required: a PEM-encoded root CA certificate string",
    )


def unparseable_certificate(detail: str) -> ApiError:
    return ApiError(
        400,
        UNPARSEABLE_CERTIFICATE,
        "Invalid certificate.",
        error_chain=[{"code": UNPARSEABLE_CERTIFICATE, "message": detail}],
    )


def multiple_certificates(count: int) -> ApiError:
    return ApiError(
        400,
        MULTIPLE_CERTIFICATES,
        f"Only one certificate can be uploaded at a time; the request contains {count}",
    )


def not_root_ca(reason: str) -> ApiError:
    return ApiError(
        400,
        NOT_ROOT_CA,
        "Only root CA certificate is allowed.",
        error_chain=[{"code": NOT_ROOT_CA, "message": reason}],
    )


def private_key_material() -> ApiError:
    return ApiError(
        400,
        PRIVATE_KEY_MATERIAL,
        "The request contains private key material; upload only the root CA certificate "
        "and never send a private key",
    )


def certificate_expired(expires_on: str) -> ApiError:
    return ApiError(
        400, CERTIFICATE_EXPIRED, f"The certificate has expired: it expired on {expires_on}"
    )


def duplicate_certificate(existing_id: str) -> ApiError:
    return ApiError(
        400,
        DUPLICATE_CERTIFICATE,
        "This certificate has already been submitted.",
        error_chain=[
            {
                "code": DUPLICATE_CERTIFICATE,
                "message": f"it is in the zone's custom origin trust store as {existing_id}",
            }
        ],
    )


def not_found(entry_id: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"Custom origin trust store certificate {entry_id} not found")


def invalid_query(detail: str) -> ApiError:
    return ApiError(400, INVALID_QUERY, f"Invalid query parameter: {detail}")


def injected(status: int, code: int | None = None, message: str | None = None) -> ApiError:
    return ApiError(
        status,
        code if code is not None else 1000 + status,
        message or f"Injected fault: HTTP {status} (emulator fault injection)",
    )


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413, BODY_TOO_LARGE, f"Request body too large: at most {limit} bytes are accepted"
    )


def malformed_request(detail: str, status: int = 400) -> ApiError:
    return ApiError(status, MALFORMED_REQUEST, f"Malformed HTTP request: {detail}")


def internal(exc: BaseException) -> ApiError:
    return ApiError(
        500,
        INTERNAL_ERROR,
        "An unknown error has occurred.",
        error_chain=[{"code": INTERNAL_ERROR, "message": f"emulator bug: {type(exc).__name__}"}],
    )
