"""A dynamic resource that calls nothing: the engine's own cost, measured beside ours.

The benchmarks deploy N of these next to N trust-store entries to tell the time Pulumi's engine
takes per dynamic resource from the time our provider adds; the toolchain smoke test deploys one
to prove the dynamic-provider process finds a provider class pickled by reference; one e2e test
uses it as the source of a value unknown until apply.

It lives beside the one Pulumi driver, outside the installed packages: only tests and benchmarks
use it. A project declaring these resources runs with ``PROJECT_ENV``, so that both its program
and the dynamic-provider process (which imports ``NoopProvider`` by name) find this module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ResourceProvider, UpdateResult
from pulumi.dynamic import Resource as DynamicResource

#: The environment a project declaring ``Noop`` resources needs on top of its own.
PROJECT_ENV = {
    "PYTHONPATH": os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")])
    )
}


class NoopProvider(ResourceProvider):
    """Echoes its inputs back as outputs; the id is derived from the value, so it is stable."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        value = str(props.get("value", ""))
        return CreateResult(id_=hashlib.sha256(value.encode()).hexdigest()[:32], outs=dict(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=dict(news))


class Noop(DynamicResource, module="noop", name="Noop"):
    """One no-op dynamic resource holding ``value``."""

    value: pulumi.Output[str]

    def __init__(
        self, name: str, value: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(NoopProvider(), name, {"value": value}, opts)


class ShapedProvider(ResourceProvider):
    """Echoes its inputs and adds filler outputs of the given lengths, so that a no-op resource
    leaves as much state as another resource does (the engine's cost grows with state size)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = dict(props.get("inputs") or {})
        outs = {**inputs, **{key: "x" * int(n) for key, n in (props.get("fillers") or {}).items()}}
        digest = hashlib.sha256(repr(sorted(inputs.items())).encode()).hexdigest()[:32]
        return CreateResult(id_=digest, outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self.create(news).outs)


class Shaped(DynamicResource, module="noop", name="Shaped"):
    """A no-op dynamic resource with ``inputs`` and filler outputs (name -> length)."""

    def __init__(
        self,
        name: str,
        inputs: dict[str, Any],
        fillers: dict[str, int],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(ShapedProvider(), name, {"inputs": inputs, "fillers": fillers}, opts)
