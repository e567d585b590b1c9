"""WSGI plumbing shared by the API and the control API, on werkzeug: routing tables,
request bodies (size-capped, de-chunked by the server), JSON answers.

Routes are tables of ``(method, path pattern, handler name)`` turned into a werkzeug
:class:`~werkzeug.routing.Map`; ``<name>`` in a pattern is one path segment, passed to the
handler as a keyword argument. HEAD is served wherever GET is, without a body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_path_info

from emulator import errors

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Routes = tuple[tuple[str, str, str], ...]

#: Largest request body read (a certificate upload is a few KiB); larger ones get 413.
MAX_BODY_BYTES = 1024 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def routing_map(prefix: str, routes: Routes) -> MapAdapter:
    """A matcher for ``routes`` under ``prefix``: ``.match(path, method=...)`` gives
    ``(handler name, path variables)`` or raises NotFound / MethodNotAllowed. Paths match
    exactly: no slash merging, and a trailing slash is another (unknown) path."""
    rules = [
        Rule(prefix + pattern, methods=[method], endpoint=name) for method, pattern, name in routes
    ]
    return Map(rules, merge_slashes=False).bind("emulator")


def read_body(request: Request) -> bytes:
    """The request body, at most ``MAX_BODY_BYTES`` (413 beyond)."""
    # One byte over the cap: werkzeug stops a chunked body AT the cap without saying so.
    request.max_content_length = MAX_BODY_BYTES + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise errors.body_too_large(MAX_BODY_BYTES) from None
    except (BadRequest, OSError, ValueError) as exc:
        # A bad chunk size, a chunk extension (werkzeug's server reads none), a truncated body.
        cause = exc.__cause__ or exc.__context__ or exc
        raise errors.malformed_request(f"unreadable request body ({cause})") from None
    if len(data) > MAX_BODY_BYTES:
        raise errors.body_too_large(MAX_BODY_BYTES)
    return data


def json_body(body: bytes) -> Any:
    """A JSON body, or ``None`` when empty; :class:`errors.ApiError` (invalid body) when it is
    not UTF-8 JSON, including JSON nested too deeply to parse."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.invalid_body("the body is not UTF-8 text") from None
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except RecursionError:
        raise errors.invalid_body("the JSON is nested too deeply") from None
    except ValueError:
        raise errors.invalid_body("the body is not valid JSON") from None


def path_of(environ: dict[str, Any]) -> str:
    """``PATH_INFO`` as text (servers pass it latin-1-encoded, per PEP 3333)."""
    try:
        return get_path_info(environ) or "/"
    except UnicodeError:  # an in-process caller that passed text beyond latin-1
        return str(environ.get("PATH_INFO") or "/")


def send_json(
    start_response: StartResponse,
    method: str,
    status: int,
    payload: Any,
    headers: Mapping[str, str],
) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *headers.items(),
        ],
    )
    return [b""] if method == "HEAD" else [data]
