"""The error tree: every error is drawn in ``provider.errors``' docstring, and every error
survives pickling whole (errors cross the dynamic provider's process boundary pickled)."""

from __future__ import annotations

import inspect
import pickle

import pytest

from provider import errors
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    CloudflareMessage,
    ConfigurationError,
    DeletionPendingError,
    DuplicateEntryError,
    EmptyZoneError,
    EntryClaimedError,
    InvalidInputError,
    NotActiveError,
    TransportError,
    TrustStoreError,
)

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
ENTRY = "b3e7d2f0c1a94e5f8d6c7b2a1e0f9d8c"

EXAMPLES: list[TrustStoreError] = [
    TrustStoreError("plain"),
    ConfigurationError("no credentials"),
    InvalidInputError("bad zone", parameter="zone_id"),
    TransportError(operation="list", zone_id=ZONE, host="api.example", reason="timed out"),
    ApiError(
        operation="upload",
        zone_id=ZONE,
        status_code=400,
        errors=(CloudflareMessage(1414, "not a CA"),),
        detail="extra",
        hint="Fix it.",
        attempts=3,
        outcome_unknown=True,
    ),
    AcmNotEnabledError(operation="list", zone_id=ZONE, entry_id=ENTRY, status_code=403),
    DuplicateEntryError("already there", zone_id=ZONE, entry_id=ENTRY),
    EntryClaimedError("claimed", zone_id=ZONE, entry_id=ENTRY),
    NotActiveError("stuck", zone_id=ZONE, entry_id=ENTRY, last_status="pending_deployment"),
    EmptyZoneError("last CA", zone_id=ZONE, entry_id=ENTRY),
    DeletionPendingError("still deleting", zone_id=ZONE, entry_id=ENTRY),
]


def public_fields(error: BaseException) -> dict[str, object]:
    return {k: v for k, v in vars(error).items() if not k.startswith("_")}


def test_every_error_class_is_drawn_in_the_module_tree() -> None:
    classes = [
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, TrustStoreError) and name[0] != "_"
    ]
    assert len(classes) >= 16, classes
    tree = errors.__doc__ or ""
    for name in classes:
        assert f" {name}  " in tree, name


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_error_survives_pickling_whole(error: TrustStoreError) -> None:
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(restored) is type(error)
    assert str(restored) == str(error)
    assert restored.args == error.args
    assert public_fields(restored) == public_fields(error)


def test_a_retried_error_is_rebuilt_with_its_attempts_and_survives_pickling() -> None:
    first = ApiError(operation="upload", zone_id=ZONE, status_code=503)
    final = first.with_attempts(4, outcome_unknown=True)
    assert type(final) is ApiError
    assert (final.attempts, final.outcome_unknown, first.attempts) == (4, True, 1)
    assert "after 4 attempts" in str(final)
    assert "list the zone" in str(final)
    restored = pickle.loads(pickle.dumps(final))  # noqa: S301 - our own bytes
    assert (str(restored), restored.attempts) == (str(final), 4)
