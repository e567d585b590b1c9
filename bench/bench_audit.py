"""Benchmark: ``audit --all-zones`` of 1,000 zones on the emulator, against the pacing floor
and against the same reads through bare httpx.

Run: ``.venv/bin/python -m bench.bench_audit [--zones 1000] [--rate 500/5]``

Two emulator servers on loopback hold the same 1,000 zones (one or two entries each, seeded
without HTTP): one enforces ``--rate`` (requests per window, per credential, as Cloudflare does
with 1,200/300), the other no limit. Three runs, side by side:

* **paced**: the real CLI in a child process, ``audit --all-zones --json --rate-limit RATE``,
  against the limited server. Its wall time is compared with the pacing floor, requests ÷
  allowed rate (the least time any client can take without a 429); its 429s are counted; its
  peak RSS is the child's own ``VmHWM`` (``bench.memory``).
* **unpaced**: the same CLI with ``--rate-limit off`` against the unlimited server: the cost of
  the audit itself (client, parsing, rules, JSON).
* **bare httpx**: a thread pool of the same size issuing the same GETs (listing pages, then one
  page of each store) and decoding the JSON, nothing else, against the unlimited server.

The rate is scaled down from Cloudflare's so the floor is a few seconds. Prints figures and
ratios; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.memory import wait_sampling_peak
from emulator import Emulator, EmulatorConfig
from emulator.server import EmulatorServer
from provider.pacing import parse_rate_limit
from scripts.certs import ec_key, root_ca

TOKEN = "bench-audit-token-0123456789abcdef"  # noqa: S105 - the local emulator's token
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ZONES = 1000
#: 100 requests a second over a 5-second window: a floor of about 10 s for 1,000 zones, and a
#: window wide enough that thread scheduling jitter does not look like a burst.
DEFAULT_RATE = "500/5"
CONCURRENCY = 8
ZONE_PAGE = 50
DISTINCT_CAS = 8


def seed(emulator: Emulator, zones: int, pems: list[str]) -> None:
    """Every zone gets one CA; every third a second (a rotation in progress)."""
    for number in range(zones):
        zone_id = f"{number + 1:032x}"
        emulator.store.upload(zone_id, pems[number % len(pems)])
        if number % 3 == 0:
            emulator.store.upload(zone_id, pems[(number + 1) % len(pems)])


def run_cli(base_url: str, rate: str) -> tuple[float, int, int]:
    """Wall seconds, exit status and peak RSS (KiB) of one audit in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env |= {"CLOUDFLARE_BASE_URL": base_url, "CLOUDFLARE_API_TOKEN": TOKEN}
    argv = [sys.executable, "-m", "policies", "audit", "--all-zones", "--json"]
    argv += ["--rate-limit", rate, "--concurrency", str(CONCURRENCY)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=err, text=True)
        peak = wait_sampling_peak(child)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({child.returncode}): {stderr[:2000]}")
    zones = len(json.loads(stdout)["zones"])
    return elapsed, zones, peak


def startup_seconds() -> float:
    """Interpreter start plus the audit's imports: part of every CLI run's wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import policies.audit.run"], cwd=REPO_ROOT, check=True)
    return time.perf_counter() - started


def run_bare(base_url: str) -> tuple[float, int]:
    """The same GETs through bare httpx, no pacing, no parsing beyond JSON: wall s, zones."""
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        zone_ids: list[str] = []
        page = 1
        while True:
            body: Any = client.get("zones", params={"page": page, "per_page": ZONE_PAGE}).json()
            zone_ids += [zone["id"] for zone in body["result"]]
            if page >= body["result_info"]["total_pages"]:
                break
            page += 1

        def read(zone_id: str) -> int:
            response = client.get(
                f"zones/{zone_id}/acm/custom_trust_store", params={"page": 1, "per_page": 50}
            )
            response.raise_for_status()
            return len(response.json()["result"])

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            list(pool.map(read, zone_ids))
    return time.perf_counter() - started, len(zone_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=DEFAULT_ZONES)
    parser.add_argument("--rate", default=DEFAULT_RATE, help="N/S: the emulator's and client's")
    args = parser.parse_args()
    limit = parse_rate_limit(args.rate, source="--rate")
    assert limit is not None, "--rate must be a limit, not off"
    pems = [root_ca(f"Bench Root {n}", key=ec_key()).pem for n in range(DISTINCT_CAS)]
    limited_config = EmulatorConfig(token=TOKEN, rate_limit=(limit.requests, limit.seconds))
    with (
        EmulatorServer(limited_config) as limited,
        EmulatorServer(EmulatorConfig(token=TOKEN)) as unlimited,
    ):
        for server in (limited, unlimited):
            seed(server.emulator, args.zones, pems)
        limited.emulator.clear_requests()
        unlimited.emulator.clear_requests()

        paced_s, paced_zones, peak_kib = run_cli(limited.base_url, args.rate)
        log = limited.emulator.requests()
        requests = len(log)
        throttled = sum(record["status"] == 429 for record in log)
        methods = sorted({record["method"] for record in log})

        unlimited.emulator.clear_requests()
        unpaced_s, _, _ = run_cli(unlimited.base_url, "off")
        bare_s, bare_zones = run_bare(unlimited.base_url)
        startup_s = startup_seconds()

    floor = requests / limit.per_second
    print(f"audit --all-zones of {paced_zones} zones, concurrency {CONCURRENCY}, limit {limit}")
    print(f"  requests: {requests} ({requests / paced_zones:.3f} per zone), methods {methods}")
    print(f"  429 answers: {throttled}")
    print(f"  paced wall: {paced_s:.2f} s; pacing floor (requests / rate): {floor:.2f} s")
    print(f"  paced / floor: {paced_s / floor:.2f} (start-up and imports {startup_s:.2f} s of it)")
    print(f"  unpaced (--rate-limit off): {unpaced_s:.2f} s")
    print(f"  bare httpx, same GETs, {bare_zones} zones: {bare_s:.2f} s")
    print(f"  unpaced / bare: {unpaced_s / bare_s:.2f}; paced / bare: {paced_s / bare_s:.2f}")
    print(f"  peak RSS of the audit process: {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
