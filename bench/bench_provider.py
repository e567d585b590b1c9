"""``python -m bench.bench_provider``: what our provider adds to Pulumi's own cost.

Two stacks, run side by side in one session on the same machine:

* ``noop``  - N ``scripts.noop_resource.Noop`` dynamic resources (the engine's floor: same
  language host, same dynamic-provider process, no API calls);
* ``trust`` - N ``CustomOriginTrustStore`` entries against ``python -m emulator``.

It prints the ``pulumi up`` wall time of each and their ratio (target <= 1.3), and, from the
emulator's request log, the API requests per create, read (refresh) and delete (target: exactly
one each). Figures, not pass/fail. Rounds alternate the two stacks so drift hits both alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from emulator.process import EmulatorProcess
from scripts import noop_resource
from scripts.certs import CertSpec, build, ec_key
from scripts.pulumi_driver import PulumiStack, isolated_env, write_project

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = "bench-token"  # noqa: S105 - the local emulator's token, not a credential

NOOP_PROGRAM = """
    from scripts.noop_resource import Noop

    for i in range({n}):
        Noop(f"noop-{{i:03d}}", value=f"value-{{i}}")
"""

TRUST_PROGRAM = """
    import pathlib
    from provider import CustomOriginTrustStore, CustomOriginTrustStoreArgs

    for path in sorted(pathlib.Path("cas").glob("*.pem")):
        CustomOriginTrustStore(
            f"ca-{{path.stem}}",
            CustomOriginTrustStoreArgs(zone_id="{zone}", certificate=path.read_text()),
        )
"""


def root_pem(index: int) -> str:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    return build(
        CertSpec(
            common_name=f"Bench Root {index:03d}",
            not_before=start,
            not_after=start + dt.timedelta(days=3650),
            key=ec_key(),
        )
    ).pem


class Project:
    """A project folder with its own PULUMI_HOME and file backend, and its stack."""

    def __init__(
        self, root: Path, name: str, program: str, extra_env: dict[str, str], bin_dir: Path
    ) -> None:
        self.dir = write_project(root / name, name=f"bench-{name}", program=program)
        (self.dir / "home").mkdir()
        (self.dir / "backend").mkdir()
        env = isolated_env(
            self.dir / "home",
            self.dir / "backend",
            passphrase="bench",  # noqa: S106 - throwaway state
            extra=extra_env,
        )
        self.stack = PulumiStack(self.dir, env, bin_dir=bin_dir, stack="bench")

    def timed(self, operation: str, *extra: str) -> float:
        """Wall time in seconds of one ``pulumi <operation>`` (up, refresh, destroy), run as a
        raw command: Automation API's structured ``up`` adds two CLI calls (outputs, history)
        that are not the engine's or the provider's cost."""
        args = [operation, *extra]
        if operation != "preview":
            args += ["--yes", "--skip-preview"]
        started = time.perf_counter()
        self.stack.run(*args)
        return time.perf_counter() - started


def per_operation(requests: list[dict[str, object]], count: int) -> str:
    methods = Counter(str(r["method"]) for r in requests)
    total = sum(methods.values())
    detail = ", ".join(f"{m} {c}" for m, c in sorted(methods.items()))
    return f"{total / count:.2f} requests each ({detail} for {count})"


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_provider")
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    n = args.resources
    cli = shutil.which("pulumi")
    if cli is None:
        raise SystemExit("the benchmark needs the Pulumi CLI on PATH: run `make bench`")
    bin_dir = Path(cli).absolute().parent

    with (
        tempfile.TemporaryDirectory(prefix="bench-provider-") as tmp,
        EmulatorProcess(["--token", TOKEN]) as emulator,
    ):
        root = Path(tmp)
        env = {"CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_API_TOKEN": TOKEN}
        noop = Project(root, "noop", NOOP_PROGRAM.format(n=n), noop_resource.PROJECT_ENV, bin_dir)
        trust = Project(root, "trust", TRUST_PROGRAM.format(zone=ZONE), env, bin_dir)
        # Each round destroys the whole zone, the last CA too: the empty-zone guard would
        # refuse that, so the bench's stack says it is meant (as a user tearing down would).
        trust.stack.set_config("allowEmptyZone", "true")
        (trust.dir / "cas").mkdir()
        for i in range(n):
            (trust.dir / "cas" / f"root-{i:03d}.pem").write_text(root_pem(i))

        # Warm-up: bytecode compilation and first plugin start are not what we measure.
        noop.timed("preview")
        trust.timed("preview")

        noop_times, trust_times = [], []
        creates: list[dict[str, object]] = []
        reads: list[dict[str, object]] = []
        deletes: list[dict[str, object]] = []
        for round_number in range(args.rounds):
            noop_times.append(noop.timed("up"))
            emulator.control.clear_requests()
            trust_times.append(trust.timed("up"))
            if round_number == 0:
                creates = emulator.control.requests()
                emulator.control.clear_requests()
                trust.timed("refresh")
                reads = emulator.control.requests()
            emulator.control.clear_requests()
            trust.timed("destroy")
            if round_number == 0:
                deletes = emulator.control.requests()
            noop.timed("destroy")

    noop_s, trust_s = statistics.median(noop_times), statistics.median(trust_times)
    print(f"pulumi up of {n} resources, median of {args.rounds} rounds (same machine, same run):")
    print(f"  no-op dynamic resources (engine floor): {noop_s:6.2f} s")
    print(f"  CustomOriginTrustStore vs emulator:     {trust_s:6.2f} s")
    print(f"  ratio trust / no-op: {trust_s / noop_s:.2f}  (target <= 1.3)")
    print("API requests per operation (emulator request log; target exactly 1):")
    print(f"  create: {per_operation(creates, n)}")
    print(f"  read:   {per_operation(reads, n)}")
    print(f"  delete: {per_operation(deletes, n)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
