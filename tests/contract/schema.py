"""Validate emulator responses against the pinned OpenAPI excerpt (OpenAPI 3.0, nullable-aware).

Per the excerpt's own notes: its 4XX schemas are unsatisfiable as written, so error bodies are
validated against ``tls-certificates-and-hostnames_api-response-common-failure`` alone, and
"at least one error" is checked here (the excerpt says ``minLength`` where ``minItems`` was
meant).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30ReadValidator

PINNED = Path(__file__).with_name("custom_trust_store.openapi.json")

COLLECTION = "/zones/{zone_id}/acm/custom_trust_store"
ITEM = "/zones/{zone_id}/acm/custom_trust_store/{custom_origin_trust_store_id}"
FAILURE = "tls-certificates-and-hostnames_api-response-common-failure"

_ITEM_PATH = re.compile(r"/client/v4/zones/[^/]+/acm/custom_trust_store/[^/]+$")
_COLLECTION_PATH = re.compile(r"/client/v4/zones/[^/]+/acm/custom_trust_store$")
_ZONES_PATH = re.compile(r"/client/v4/zones/?$")

_NULLABLE_STRING = {"type": "string", "nullable": True}
#: ``GET /zones`` is outside the pinned excerpt: its success shape, written from the official
#: SDK's models (cloudflare 5.9: ``types/zones/zone.py``, required fields of ``Zone``) and the
#: zones API reference's ``result_info`` (page, per_page, count, total_count, total_pages).
ZONE_LIST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["success", "errors", "messages", "result", "result_info"],
    "properties": {
        "success": {"type": "boolean", "enum": [True]},
        "errors": {"type": "array", "maxItems": 0},
        "messages": {"type": "array"},
        "result": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "account",
                    "created_on",
                    "development_mode",
                    "meta",
                    "modified_on",
                    "name",
                    "name_servers",
                    "owner",
                    "plan",
                    "status",
                ],
                "properties": {
                    "id": {"type": "string", "maxLength": 32},
                    "name": {"type": "string", "maxLength": 253},
                    "status": {
                        "type": "string",
                        "enum": ["initializing", "pending", "active", "moved"],
                    },
                    "paused": {"type": "boolean"},
                    "type": {
                        "type": "string",
                        "enum": ["full", "partial", "secondary", "internal"],
                    },
                    "development_mode": {"type": "number"},
                    "name_servers": {"type": "array", "items": {"type": "string"}},
                    "created_on": {"type": "string", "format": "date-time"},
                    "modified_on": {"type": "string", "format": "date-time"},
                    "activated_on": {"type": "string", "format": "date-time", "nullable": True},
                    "original_dnshost": _NULLABLE_STRING,
                    "original_registrar": _NULLABLE_STRING,
                    "account": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "meta": {"type": "object"},
                    "owner": {"type": "object"},
                    "plan": {"type": "object"},
                },
            },
        },
        "result_info": {
            "type": "object",
            "required": ["page", "per_page", "count", "total_count", "total_pages"],
            "properties": {
                name: {"type": "integer", "minimum": 0}
                for name in ("page", "per_page", "count", "total_count", "total_pages")
            },
        },
    },
}


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(PINNED.read_text())


def _validator(schema: Mapping[str, Any]) -> OAS30ReadValidator:
    return _cached_validator(json.dumps(schema, sort_keys=True))


@functools.cache
def _cached_validator(schema_json: str) -> OAS30ReadValidator:
    root = {**json.loads(schema_json), "components": spec()["components"]}
    return OAS30ReadValidator(root, format_checker=OAS30ReadValidator.FORMAT_CHECKER)


def success_schema(path_template: str, method: str) -> dict[str, Any]:
    op = spec()["paths"][path_template][method.lower()]
    return dict(op["responses"]["200"]["content"]["application/json"]["schema"])


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The schema a response to ``method path`` with ``status`` must satisfy (HEAD: GET's)."""
    method = "GET" if method.upper() == "HEAD" else method
    if status >= 400:
        return {"$ref": f"#/components/schemas/{FAILURE}"}
    if _ZONES_PATH.search(path) and method.upper() == "GET":
        return ZONE_LIST_SCHEMA
    if _ITEM_PATH.search(path):
        return success_schema(ITEM, method)
    if _COLLECTION_PATH.search(path):
        return success_schema(COLLECTION, method)
    raise AssertionError(f"a {status} response to {method} {path}: no such operation")


#: Deviations of the REAL API from the excerpt that the emulator reproduces on purpose.
#: Cloudflare answers rate limiting with code 971 (observed in many public reports), below the
#: excerpt's ``minimum: 1000`` for error codes; the emulator keeps the real code.
KNOWN_REAL_API_DEVIATIONS = {(429, 971)}


def _tolerated(status: int, body: Any, error: Any) -> bool:
    if error.validator != "minimum" or list(error.path)[:1] != ["errors"]:
        return False
    return (status, error.instance) in KNOWN_REAL_API_DEVIATIONS


_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_PEM = re.compile(r"^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$")
_STAND_INS = (
    (_HEX_ID, "0" * 32),
    (_TIMESTAMP, "2000-01-01T00:00:00Z"),
    (_PEM, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"),
)


def shape(body: Any) -> Any:
    """A stand-in for a response body that the contract judges exactly as it judges the body:
    ids, RFC 3339 timestamps and PEM blocks replaced by one valid example of their kind, and
    the entries of a ``result`` list deduplicated once so replaced (the contract sets no
    count on them; its one ``uniqueItems`` is on ``messages``, kept whole)."""
    shaped = _stand_in(body)
    if isinstance(shaped, dict) and isinstance(shaped.get("result"), list):
        distinct: dict[str, Any] = {}
        for item in shaped["result"]:
            distinct.setdefault(json.dumps(item, sort_keys=True), item)
        shaped["result"] = list(distinct.values())
    return shaped


def _stand_in(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stand_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stand_in(item) for item in value]
    if isinstance(value, str):
        for pattern, stand_in in _STAND_INS:
            if pattern.match(value):
                return stand_in
    return value


#: Response shapes already found to conform, so that thousands of recorded responses that
#: differ only in ids, times and certificates are validated once (the slow part of teardown).
_CONFORMING: set[str] = set()


def contract_errors(method: str, path: str, status: int, body: Any) -> list[str]:
    """Every way this response breaks the contract (empty list: it conforms). Each distinct
    response shape (:func:`shape`) that conforms is validated only once."""
    key = json.dumps(
        [
            method,
            status,
            json.dumps(response_schema(method, path, status), sort_keys=True),
            shape(body),
        ],
        sort_keys=True,
    )
    if key in _CONFORMING:
        return []
    problems = _contract_errors(method, path, status, body)
    if not problems:
        _CONFORMING.add(key)
    return problems


def _contract_errors(method: str, path: str, status: int, body: Any) -> list[str]:
    problems = [
        f"{e.json_path}: {e.message}"
        for e in _validator(response_schema(method, path, status)).iter_errors(body)
        if not _tolerated(status, body, e)
    ]
    if (
        status >= 400
        and isinstance(body, dict)
        and (not isinstance(body.get("errors"), list) or not body["errors"])
    ):
        problems.append("a failure must carry at least one error")
    if status < 400 and isinstance(body, dict) and body.get("success") is not True:
        problems.append("a 2xx response must have success: true")
    return problems


def assert_all_conform(responses: list[dict[str, Any]]) -> None:
    """Check recorded responses (``Emulator.responses()`` or ``GET /__emulator/responses``)."""
    failures = []
    for response in responses:
        problems = contract_errors(
            response["method"], response["path"], response["status"], response["body"]
        )
        if problems:
            failures.append(
                f"#{response['seq']} {response['method']} {response['path']} -> "
                f"{response['status']}: " + "; ".join(problems)
            )
    if failures:
        raise AssertionError(
            f"{len(failures)} emulator response(s) break the pinned contract:\n"
            + "\n".join(failures)
        )
