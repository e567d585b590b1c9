"""The pack starts the way the Pulumi language host starts it: ``python -m pulumi.policy``.

The runtime runs ``__main__.py`` as a script with the pack folder as working directory; the pack
must then serve the analyzer over gRPC. A copy under another folder name stands for a published
pack, which is unpacked wherever the CLI puts it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies.trust_rules.catalog import SPECS_BY_NAME

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


def start_pack(pack_dir: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack_dir)],
        cwd=pack_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.kill()
            _, err = process.communicate(timeout=30)
            pytest.fail(f"pack did not start: {port!r} {err}")
        yield f"127.0.0.1:{port}"
    finally:
        process.kill()
        process.communicate(timeout=30)


def analyzer_info(address: str) -> object:
    with grpc.insecure_channel(address) as channel:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        return stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)


@pytest.fixture(params=["in-repo", "published-copy"])
def pack_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "in-repo":
        return PACK_DIR
    copy = tmp_path / "cloudflare-origin-trust-store-0.1.0"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_runtime_serves_every_policy(pack_dir: Path) -> None:
    for address in start_pack(pack_dir):
        info = analyzer_info(address)
        assert info.name == "cloudflare-origin-trust-store"  # type: ignore[attr-defined]
        names = {p.name for p in info.policies}  # type: ignore[attr-defined]
        assert names == set(SPECS_BY_NAME)
        by_name = {p.name: p for p in info.policies}  # type: ignore[attr-defined]
        schema = by_name["origin-ca-not-near-expiry"].configSchema.properties
        assert schema["minDaysRemaining"]["default"] == 30
        assert by_name["origin-ca-not-near-expiry"].remediation_steps
