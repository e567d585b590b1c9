"""Declaring thousands of entries keeps the provider's pickling flat (provider.pickling)."""

from __future__ import annotations

import sys

from pulumi.dynamic.dynamic import serialize_provider

from provider import pickling
from provider.resource import CustomOriginTrustStoreProvider


def test_pulumis_serializer_nests_a_wrapper_per_call_and_flatten_undoes_it() -> None:
    provider = CustomOriginTrustStoreProvider()
    pickling.flatten()
    first = serialize_provider(provider)
    for _ in range(5):
        serialize_provider(provider)
    assert pickling.wrapping_depth() == 6, "the SDK bug this module works around"
    pickling.flatten()
    assert pickling.wrapping_depth() == 0
    assert serialize_provider(provider) == first, "same deterministic pickle"
    pickling.flatten()


def test_more_resources_than_the_recursion_limit_serialize_when_flattened() -> None:
    provider = CustomOriginTrustStoreProvider()
    for _ in range(sys.getrecursionlimit() + 200):
        pickling.flatten()
        serialize_provider(provider)
    assert pickling.wrapping_depth() == 1
    pickling.flatten()
