"""Benchmark: our trust store client against a bare httpx request and the official SDK.

Run: ``.venv/bin/python -m bench.bench_client [--rounds N] [--imports N]``

One real emulator server on loopback serves all three clients. Each round runs get, list,
upload and delete once per client, in an order that rotates every round, so that drift in
machine load hits all three alike. The bare httpx baseline does the same HTTP call and
decodes the JSON, nothing more: the ratio ours/bare is the cost of validation, parsing into
typed entries, retries bookkeeping and logging (target <= 1.10). Import time is measured as
the wall time of ``python -c "import X"`` minus ``python -c "pass"``, interleaved likewise.

This prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from cloudflare import Cloudflare

from emulator import EmulatorConfig
from emulator.server import EmulatorServer
from provider.client import PAGE_SIZE, TrustStoreClient
from provider.credentials import ApiToken
from scripts.certs import root_ca

TOKEN = "bench-token"  # noqa: S105 - the local emulator's token
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
#: Entries already in the zone: one page for every client, so each list is one request
#: (the SDK asks for a second, empty page: it stops only on an empty page).
SEEDED_ENTRIES = 30
DEFAULT_ROUNDS = 150
DEFAULT_IMPORT_RUNS = 7
CLIENTS = ("ours", "httpx", "sdk")
OPERATIONS = ("get", "list", "upload", "delete")

Call = Callable[[], Any]


class Contenders:
    """The same four calls made by each client against one server."""

    def __init__(self, base_url: str) -> None:
        self.ours = TrustStoreClient(ApiToken(TOKEN), base_url=base_url)
        self.bare = httpx.Client(
            base_url=base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        self.sdk = Cloudflare(api_token=TOKEN, base_url=base_url, max_retries=0)
        self.collection = f"zones/{ZONE}/acm/custom_trust_store"

    def close(self) -> None:
        self.ours.close()
        self.bare.close()
        self.sdk.close()

    def bare_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.bare.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def get(self, client: str, entry_id: str) -> Call:
        return {
            "ours": lambda: self.ours.get(ZONE, entry_id),
            "httpx": lambda: self.bare_json("GET", f"{self.collection}/{entry_id}"),
            "sdk": lambda: self.sdk.acm.custom_trust_store.get(entry_id, zone_id=ZONE),
        }[client]

    def list(self, client: str) -> Call:
        params = {"page": 1, "per_page": PAGE_SIZE}
        return {
            "ours": lambda: self.ours.list(ZONE),
            "httpx": lambda: self.bare_json("GET", self.collection, params=params),
            "sdk": lambda: list(
                self.sdk.acm.custom_trust_store.list(zone_id=ZONE, per_page=PAGE_SIZE)
            ),
        }[client]

    def upload(self, client: str, pem: str) -> Callable[[], str]:
        def ours() -> str:
            return self.ours.upload(ZONE, pem).id

        def bare() -> str:
            return str(
                self.bare_json("POST", self.collection, json={"certificate": pem})["result"]["id"]
            )

        def sdk() -> str:
            created = self.sdk.acm.custom_trust_store.create(zone_id=ZONE, certificate=pem)
            assert created is not None
            return created.id

        return {"ours": ours, "httpx": bare, "sdk": sdk}[client]

    def delete(self, client: str, entry_id: str) -> Call:
        return {
            "ours": lambda: self.ours.delete(ZONE, entry_id),
            "httpx": lambda: self.bare_json("DELETE", f"{self.collection}/{entry_id}"),
            "sdk": lambda: self.sdk.acm.custom_trust_store.delete(entry_id, zone_id=ZONE),
        }[client]


def timed(call: Call) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def measure_calls(base_url: str, rounds: int) -> dict[tuple[str, str], list[float]]:
    contenders = Contenders(base_url)
    samples: dict[tuple[str, str], list[float]] = {
        (op, client): [] for op in OPERATIONS for client in CLIENTS
    }
    try:
        seeded = [
            contenders.ours.upload(ZONE, root_ca(f"Seed {n}").pem) for n in range(SEEDED_ENTRIES)
        ]
        target = seeded[0].id
        pems = iter(root_ca(f"Bench {n}").pem for n in itertools.count())
        orders = itertools.cycle(itertools.permutations(CLIENTS))
        for _ in range(2):  # warm-up: connections, lazy imports, caches
            for client in CLIENTS:
                contenders.get(client, target)()
                contenders.list(client)()
        for _ in range(rounds):
            order = next(orders)
            for client in order:
                samples["get", client].append(timed(contenders.get(client, target))[0])
            for client in order:
                samples["list", client].append(timed(contenders.list(client))[0])
            uploaded: dict[str, str] = {}
            for client in order:
                elapsed, uploaded[client] = timed(contenders.upload(client, next(pems)))
                samples["upload", client].append(elapsed)
            for client in order:
                samples["delete", client].append(
                    timed(contenders.delete(client, uploaded[client]))[0]
                )
    finally:
        contenders.close()
    return samples


def import_seconds(module: str | None) -> float:
    code = f"import {module}" if module else "pass"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def measure_imports(runs: int) -> dict[str, float]:
    """Median extra wall time over a bare interpreter start, per module."""
    modules = ("provider.client", "httpx", "cloudflare")
    samples: dict[str | None, list[float]] = {None: [], **{m: [] for m in modules}}
    for _ in range(runs):
        for module in samples:
            samples[module].append(import_seconds(module))
    baseline = statistics.median(samples[None])
    return {m: statistics.median(samples[m]) - baseline for m in modules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--imports", type=int, default=DEFAULT_IMPORT_RUNS)
    args = parser.parse_args()

    with EmulatorServer(EmulatorConfig(token=TOKEN)) as server:
        samples = measure_calls(server.base_url, args.rounds)

    print(f"Per call, median of {args.rounds} interleaved rounds against one emulator server")
    header = ("operation", "ours ms", "httpx ms", "sdk ms", "ours/httpx", "ours/sdk")
    print(f"{header[0]:<10}" + "".join(f"{title:>12}" for title in header[1:]))
    for op in OPERATIONS:
        ours, bare, sdk = (statistics.median(samples[op, c]) * 1000 for c in CLIENTS)
        figures = (ours, bare, sdk, ours / bare, ours / sdk)
        print(f"{op:<10}" + "".join(f"{value:>12.3f}" for value in figures))
    print("(target ours/httpx <= 1.10; the SDK's list also fetches an empty second page)")

    imports = measure_imports(args.imports)
    print(f"\nImport time over a bare interpreter, median of {args.imports} runs")
    for module, seconds in imports.items():
        print(f"{module:<16}{seconds * 1000:>8.1f} ms")
    ratio = imports["provider.client"] / imports["cloudflare"]
    print(f"provider.client / cloudflare: {ratio:.2f}")


if __name__ == "__main__":
    main()
