"""``python -m bench.bench_scale``: issue 15's figures, each as a ratio measured in one run.

Sections (``--only`` picks some; all by default):

* ``up``     - ``pulumi up`` of ``--entries`` entries across ``--zones`` zones (the repository's
               own stack program, ``zones`` as a list sharing one CA folder) against the engine
               floor: as many no-op dynamic resources (``scripts/noop_resource.py``). Target
               <= 1.15. Also the peak RSS of the dynamic-provider process of each.
* ``paced``  - ``pulumi up`` of ``--paced-entries`` entries with the emulator's rate limit on
               (``--rate-limit``, also the client's ``CLOUDFLARE_RATE_LIMIT``) against the pacing
               floor: requests / allowed rate. Target <= 1.1; counts failed and 429 requests.
* ``pack``   - ``pulumi preview`` of the ``up`` stack with the policy pack and without: the
               pack's overhead per entry.
* ``check``  - 10,000 certificates through every per-certificate policy against the
               signature-verification floor (target <= 1.2), and a repeated run through the
               check cache (target <= 0.2 of the first); reuses ``bench.bench_policy_checks``.

``--profile DIR`` runs the provider process of the ``up`` section under cProfile
(``PROVIDER_PROFILE_DIR``, a sampling profiler in ``provider.profiling``) and prints its
top functions.
Figures, not pass/fail; rounds alternate the stacks so drift hits both alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_provider
from bench.bench_provider import TOKEN, root_pem
from bench.memory import vm_hwm_kib
from emulator.process import EmulatorProcess
from provider.pacing import parse_rate_limit
from provider.zone_component import COMPONENT_TYPE
from scripts import noop_resource, pulumi_driver

REPO_ROOT = Path(__file__).resolve().parents[1]
STACK_PROGRAM = (REPO_ROOT / "__main__.py").read_text()
#: The floor gets the same workaround as our entries (``provider.pickling``): without it, Pulumi's
#: own serializer fails past ~1,000 dynamic resources in one program.
NOOP_PROGRAM = """
    from provider import pickling
    from scripts.noop_resource import Noop

    for i in range({n}):
        pickling.flatten()
        Noop(f"noop-{{i:04d}}", value=f"value-{{i}}")
"""
#: The same state as the trust stack (``shape.json``, from its exported state) with no provider
#: work: what Pulumi itself costs for that many resources carrying that much state.
SHAPED_PROGRAM = """
    import json
    import pathlib

    import pulumi

    from provider import pickling
    from scripts.noop_resource import Shaped

    shape = json.loads(pathlib.Path("shape.json").read_text())
    for zone in shape["zones"]:
        parent = pulumi.ComponentResource(zone["type"], zone["name"])
        for entry in zone["entries"]:
            pickling.flatten()
            Shaped(
                entry["name"], entry["inputs"], entry["fillers"],
                opts=pulumi.ResourceOptions(parent=parent),
            )
        parent.register_outputs(zone["outputs"])
    for key, value in shape["exports"].items():
        pulumi.export(key, value)
"""
UP_TARGET = 1.15
PACED_TARGET = 1.1
CHECK_TARGET = 1.2
REPEATED_TARGET = 0.2


@dataclass
class RssSampler:
    """Peak resident set (VmHWM) of the dynamic-provider processes started in ``folder``."""

    folder: Path
    peak_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.1)

    def _sample(self) -> None:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if b"pulumi.dynamic" not in (proc / "cmdline").read_bytes():
                    continue
                if not os.readlink(proc / "cwd").startswith(str(self.folder)):
                    continue
            except OSError:
                continue
            self.peak_kib = max(self.peak_kib, vm_hwm_kib(proc.name) or 0)


class Project(bench_provider.Project):
    """``bench_provider``'s project, also sampling the provider's peak memory."""

    def timed_with_rss(self, operation: str, *extra: str) -> tuple[float, int]:
        """Wall seconds and the provider's peak RSS (KiB) of one raw ``pulumi`` command."""
        with RssSampler(self.dir) as sampler:
            elapsed = self.timed(operation, *extra)
        return elapsed, sampler.peak_kib


def zone_ids(count: int) -> list[str]:
    """Ids shaped like Cloudflare's (random hex), stable from run to run."""
    return [hashlib.sha256(f"bench-zone-{i}".encode()).hexdigest()[:32] for i in range(count)]


def trust_project(
    root: Path, name: str, zones: int, per_zone: int, env: dict[str, str], bin_dir: Path
) -> Project:
    """The repository's own program: ``zones`` zones sharing ``per_zone`` CAs of one folder."""
    project = Project(root, name, STACK_PROGRAM, env, bin_dir)
    (project.dir / "cas").mkdir()
    for index in range(per_zone):
        (project.dir / "cas" / f"root-{index:03d}.pem").write_text(root_pem(index))
    pairs = [f"zones[{i}]={zone}" for i, zone in enumerate(zone_ids(zones))]
    # allowEmptyZone: destroy between rounds empties every zone on purpose; set before the up,
    # since destroy uses the provider settings the last up stored.
    project.stack.run(
        "config", "set-all", "--path", *(a for p in pairs for a in ("--plaintext", p)),
        "--plaintext", "certificatesDir=cas", "--plaintext", "allowEmptyZone=true",
        "--stack", "bench",
    )  # fmt: skip
    return project


def state_shape(deployment: dict[str, Any]) -> dict[str, Any]:
    """The trust stack's state as ``SHAPED_PROGRAM`` rebuilds it: per component its outputs, per
    entry its inputs and the lengths of the outputs that are not inputs, and the stack exports."""
    resources = deployment["deployment"]["resources"]
    zones: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if resource["type"] == COMPONENT_TYPE:
            name = resource["urn"].rsplit("::", 1)[1]
            zones[resource["urn"]] = {
                "type": resource["type"], "name": name,
                "outputs": resource.get("outputs", {}), "entries": [],
            }  # fmt: skip
    exports: dict[str, Any] = {}
    for resource in resources:
        if resource["type"] == "pulumi:pulumi:Stack":
            exports = resource.get("outputs", {})
        elif resource.get("parent") in zones and resource.get("custom"):
            inputs = {k: v for k, v in resource.get("inputs", {}).items() if k != "__provider"}
            outputs = resource.get("outputs", {})
            fillers = {k: len(json.dumps(v)) for k, v in outputs.items() if k not in inputs}
            zones[resource["parent"]]["entries"].append(
                {"name": resource["urn"].rsplit("::", 1)[1], "inputs": inputs, "fillers": fillers}
            )
    return {"zones": list(zones.values()), "exports": exports}


def bin_folder() -> Path:
    cli = shutil.which("pulumi")
    if cli is None:
        raise SystemExit("the benchmark needs the Pulumi CLI on PATH: run `make bench`")
    return Path(cli).absolute().parent


def requests_summary(requests: list[dict[str, object]]) -> tuple[int, int, int]:
    """(all requests, refused with 429, failed otherwise) from the emulator's log."""
    statuses = Counter(int(str(r["status"] or 0)) for r in requests)
    limited = statuses.get(429, 0)
    failed = sum(c for s, c in statuses.items() if s >= 400 and s != 429)
    return sum(statuses.values()), limited, failed


def section_up(args: argparse.Namespace, root: Path, bin_dir: Path) -> Project:
    per_zone = max(1, args.entries // args.zones)
    entries = per_zone * args.zones
    with EmulatorProcess(["--token", TOKEN]) as emulator:
        env = {
            "CLOUDFLARE_BASE_URL": emulator.base_url,
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_RATE_LIMIT": "off",
        }
        if args.profile:
            env["PROVIDER_PROFILE_DIR"] = str(Path(args.profile).absolute())
        noop = Project(
            root, "noop", NOOP_PROGRAM.format(n=entries), noop_resource.PROJECT_ENV, bin_dir
        )
        trust = trust_project(root, "trust", args.zones, per_zone, env, bin_dir)
        noop.timed("preview")  # warm-up: bytecode, first plugin start
        trust.timed("preview")
        shaped = Project(root, "shaped", SHAPED_PROGRAM, noop_resource.PROJECT_ENV, bin_dir)
        (shaped.dir / "shape.json").write_text(json.dumps({"zones": [], "exports": {}}))
        shaped.timed("preview")  # the same warm-up as the other two
        noop_times, trust_times, shaped_times, noop_rss, trust_rss = [], [], [], [], []
        for _ in range(args.rounds):
            seconds, rss = noop.timed_with_rss("up")
            noop_times.append(seconds)
            noop_rss.append(rss)
            emulator.control.clear_requests()
            seconds, rss = trust.timed_with_rss("up")
            trust_times.append(seconds)
            trust_rss.append(rss)
            total, limited, failed = requests_summary(emulator.control.requests())
            exported = trust.stack.run("stack", "export").stdout
            (shaped.dir / "shape.json").write_text(json.dumps(state_shape(json.loads(exported))))
            shaped_times.append(shaped.timed("up"))
            sizes = [len(p.stack.run("stack", "export").stdout) for p in (noop, shaped)]
            sizes.insert(1, len(exported))
            print(
                f"  round: no-op {noop_times[-1]:.2f} s, trust {trust_times[-1]:.2f} s,"
                f" same-state no-op {shaped_times[-1]:.2f} s; state sizes (KiB):"
                f" {', '.join(f'{size / 1024:.0f}' for size in sizes)}",
                flush=True,
            )
            trust.timed("destroy")
            noop.timed("destroy")
            shaped.timed("destroy")
    noop_s, trust_s = statistics.median(noop_times), statistics.median(trust_times)
    shaped_s = statistics.median(shaped_times)
    print(f"up: {entries} entries in {args.zones} zones ({args.zones} ZoneTrustStore components)")
    print(f"  no-op dynamic resources (engine floor), {entries}: {noop_s:7.2f} s  {noop_times}")
    print(f"  trust store entries vs emulator:           {trust_s:7.2f} s  {trust_times}")
    print(f"  ratio: {trust_s / noop_s:.2f} (target <= {UP_TARGET})")
    print(
        f"  no-op resources leaving the same state (components, inputs, output sizes, exports):"
        f" {shaped_s:.2f} s; trust / same-state: {trust_s / shaped_s:.2f}"
    )
    print(f"  requests in the last up: {total} ({limited} 429, {failed} failed)")
    print(
        f"  provider process peak RSS: trust {max(trust_rss) / 1024:.0f} MiB,"
        f" no-op {max(noop_rss) / 1024:.0f} MiB"
    )
    if args.profile:
        print_profile(Path(args.profile))
    return trust


def print_profile(folder: Path) -> None:
    """The provider processes' samples (``provider.profiling``), busiest process first."""
    files = sorted(folder.glob("provider-*.txt"), key=lambda p: p.stat().st_size, reverse=True)
    if not files:
        print("  (no profile written)")
        return
    print(f"  provider profile, {len(files)} process(es); the busiest:")
    print("    " + files[0].read_text().replace("\n", "\n    "))


def section_paced(args: argparse.Namespace, root: Path, bin_dir: Path) -> None:
    limit = parse_rate_limit(args.rate_limit, source="--rate-limit")
    if limit is None:
        raise SystemExit("--rate-limit must be a limit, not 'off'")
    zones = max(1, args.paced_entries // 4)
    with EmulatorProcess(["--token", TOKEN, "--rate-limit", args.rate_limit]) as emulator:
        env = {
            "CLOUDFLARE_BASE_URL": emulator.base_url,
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_RATE_LIMIT": args.rate_limit,
        }
        paced = trust_project(root, "paced", zones, 4, env, bin_dir)
        if args.warm_up:
            paced.timed("preview")
        emulator.control.clear_requests()
        seconds = paced.timed("up")
        total, limited, failed = requests_summary(emulator.control.requests())
        live = len(emulator.control.state())
    floor = total / limit.per_second
    print(f"paced up: {zones * 4} entries in {zones} zones, rate limit {limit} on both sides")
    print(f"  wall {seconds:.1f} s; pacing floor {floor:.1f} s ({total} requests / {limit})")
    print(f"  ratio: {seconds / floor:.2f} (target <= {PACED_TARGET})")
    print(f"  failed requests: {failed}; answered 429: {limited}; entries live: {live}")


def section_pack(trust: Project) -> None:
    entries = len(list((trust.dir / "cas").glob("*.pem")))
    trust.timed("up")
    zones = trust.stack.outputs().get("zones", {})
    count = sum(len(z.get("entryIds", {})) for z in zones.values())
    pack = str(REPO_ROOT / "policies")
    trust.timed("preview")  # warm-up
    trust.timed("preview", "--policy-pack", pack)
    without, with_pack = [], []
    for _ in range(2):
        without.append(trust.timed("preview"))
        with_pack.append(trust.timed("preview", "--policy-pack", pack))
    bare, packed = statistics.median(without), statistics.median(with_pack)
    print(f"pack overhead: preview of {count} entries ({entries} CAs per zone)")
    print(f"  without the pack {bare:.2f} s, with it {packed:.2f} s: ratio {packed / bare:.2f}")
    print(f"  overhead per entry: {(packed - bare) / count * 1000:.2f} ms")
    trust.timed("destroy")


def section_check(count: int) -> None:
    from bench import bench_policy_checks as checks

    with tempfile.TemporaryDirectory(prefix="bench-scale-check-") as folder:
        groups = checks.generate(Path(folder), count)
        paths = sorted(p for group in groups.values() for p in group)
        checks.run_checks(paths[:200])
        rounds = [
            (
                checks.run_checks(paths)[0],
                checks.run_verification_only(paths),
                checks.run_read_parse_verify(paths),
            )
            for _ in range(3)
        ]
        ours = statistics.median(r[0] for r in rounds)
        floor = statistics.median(r[1] for r in rounds)
        reading_floor = statistics.median(r[2] for r in rounds)
        with tempfile.TemporaryDirectory(prefix="bench-scale-cache-") as cache:
            cold = checks.run_checks_cached(paths, Path(cache))
            warm = checks.run_checks_cached(paths, Path(cache))
    print(f"check: {len(paths)} certificates through every per-certificate policy (one core)")
    print(f"  ours {ours:.2f} s ({ours / len(paths) * 1e6:.0f} µs each); signature")
    print(
        f"  verification alone {floor:.2f} s: ratio {ours / floor:.2f} (target <= {CHECK_TARGET})"
    )
    print(
        f"  reading, parsing and verifying alone {reading_floor:.2f} s:"
        f" ratio {ours / reading_floor:.2f}"
    )
    print(
        f"  through the cache: first {cold:.2f} s, repeated {warm:.2f} s:"
        f" ratio {warm / cold:.2f} (target <= {REPEATED_TARGET})"
    )


SECTIONS = ("up", "paced", "pack", "check")


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scale")
    parser.add_argument("--only", action="append", choices=SECTIONS)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--zones", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paced-entries", type=int, default=400)
    parser.add_argument("--rate-limit", default="1200/300")
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--profile", metavar="DIR")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="skip the paced warm-up"
    )
    parser.add_argument("--timeout", type=int, default=3600, help="bound on one pulumi command")
    args = parser.parse_args(argv)
    pulumi_driver.COMMAND_TIMEOUT_SECONDS = args.timeout  # a paced up of thousands takes long
    chosen = args.only or list(SECTIONS)
    bin_dir = bin_folder()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        trust = section_up(args, root, bin_dir) if "up" in chosen or "pack" in chosen else None
        if "pack" in chosen and trust is not None:
            with EmulatorProcess(["--token", TOKEN]) as emulator:
                trust.stack.env["CLOUDFLARE_BASE_URL"] = emulator.base_url
                section_pack(trust)
        if "paced" in chosen:
            section_paced(args, root, bin_dir)
    if "check" in chosen:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        section_check(args.certificates)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
