"""How fast are the per-certificate policy checks? Run: ``python -m bench.bench_policy_checks``.

Generates certificates into a temporary folder (a few keys reused: keys are slow, certificates
are cheap), then times, on one core, reading each PEM file, parsing it, computing its facts
(including the self-signature verification) and running every per-certificate policy. For scale
it runs ``openssl x509 -checkend N -noout -in FILE`` once per file on a subsample and extrapolates
to all files — which answers only *one* of our questions per file. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from policies import cli
from policies.check_cache import FactsCache
from policies.trust_rules.catalog import RESOURCE_POLICIES, SPECS_BY_NAME, entry_for
from policies.trust_rules.certificates import forget_cached_facts
from policies.trust_rules.outcomes import Place
from scripts.certs import NOW, CertSpec, PrivateKey, build

DEFAULT_COUNT = 10_000
DEFAULT_OPENSSL_SAMPLE = 200
DEFAULT_ZONES = 250
REPEATED_TARGET_RATIO = 0.2
TARGET_SECONDS = 1.0
CHECKEND_SECONDS = 30 * 24 * 3600


def _keys() -> list[tuple[str, PrivateKey]]:
    """A mix of the key types roots use: RSA 2048 twice as often as the others."""
    return [
        ("RSA 2048", rsa.generate_private_key(65537, 2048)),
        ("RSA 2048", rsa.generate_private_key(65537, 2048)),
        ("RSA 4096", rsa.generate_private_key(65537, 4096)),
        ("EC P-256", ec.generate_private_key(ec.SECP256R1())),
        ("EC P-384", ec.generate_private_key(ec.SECP384R1())),
        ("Ed25519", ed25519.Ed25519PrivateKey.generate()),
    ]


def generate(folder: Path, count: int) -> dict[str, list[Path]]:
    """PEM files in ``folder``, grouped by the kind of key that signed them."""
    keys = _keys()
    paths: dict[str, list[Path]] = {}
    for index in range(count):
        label, key = keys[index % len(keys)]
        cert = build(
            CertSpec(
                common_name=f"Bench Root {index}",
                key=key,
                serial=index + 1,
                not_before=NOW - dt.timedelta(days=index % 400 + 31),
                not_after=NOW + dt.timedelta(days=(index % 900) - 30),
            )
        ).cert
        path = folder / f"ca-{index:05d}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.setdefault(label, []).append(path)
    return paths


def run_checks(paths: list[Path]) -> tuple[float, int]:
    """Seconds for reading + parsing + facts + every resource policy; and the violation count."""
    settings = {p.spec.name: SPECS_BY_NAME[p.spec.name].read_config({}) for p in RESOURCE_POLICIES}
    violations = 0
    forget_cached_facts()
    start = time.perf_counter()
    for path in paths:
        entry = entry_for(path.read_text(), Place(path.name, "bench-zone", kind="file"))
        for policy in RESOURCE_POLICIES:
            violations += len(policy.evaluate(entry, NOW, settings[policy.spec.name]).violations)
    return time.perf_counter() - start, violations


def run_checks_cached(paths: list[Path], cache_dir: Path) -> float:
    """``run_checks`` through check's file cache: load it, look each file up, save it."""
    settings = {p.spec.name: SPECS_BY_NAME[p.spec.name].read_config({}) for p in RESOURCE_POLICIES}
    forget_cached_facts()
    start = time.perf_counter()
    cache = FactsCache(cache_dir, "bench-config")
    for path in paths:
        content = path.read_bytes()
        place = Place(path.name, "bench-zone", kind="file")
        entry = cache.entry(content, content.decode(), place)
        for policy in RESOURCE_POLICIES:
            policy.evaluate(entry, NOW, settings[policy.spec.name])
    cache.save()
    return time.perf_counter() - start


def run_verification_only(paths: list[Path]) -> float:
    """Seconds for the self-signature verifications alone (certificates loaded beforehand).

    Every check verifies each root's signature with its own key (origin-ca-is-root needs it), so
    this is the floor under ``run_checks``; what lies above it is reading, parsing, the other
    facts and the policies themselves.
    """
    loaded = [x509.load_pem_x509_certificate(path.read_bytes()) for path in paths]
    start = time.perf_counter()
    for certificate in loaded:
        certificate.verify_directly_issued_by(certificate)
    return time.perf_counter() - start


def run_read_parse_verify(paths: list[Path]) -> float:
    """Seconds to read each file, parse it and verify its self-signature, and nothing else: the
    least any checker of these files does, so what lies above it is the facts and the rules."""
    start = time.perf_counter()
    for path in paths:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
        certificate.verify_directly_issued_by(certificate)
    return time.perf_counter() - start


def zone_layout(paths: list[Path], root: Path, zones: int) -> Path:
    """The files copied into ``root/cas/<zoneId>/``, spread over ``zones`` zones."""
    cas = root / "cas"
    for index, path in enumerate(paths):
        folder = cas / f"{index % zones:032x}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
    return cas


def run_cli_check(cas: Path, *extra: str) -> float:
    """Seconds for ``cf-origin-trust-store check CAS`` in-process (the default table, kept)."""
    forget_cached_facts()  # the process-wide memo must not stand in for the file cache
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink):
        cli.main(["check", str(cas), "--now", NOW.isoformat(), *extra])
    return time.perf_counter() - start


def run_repeated(paths: list[Path], zones: int) -> tuple[float, float, float]:
    """The whole ``check`` without the cache, a first run filling it, a repeated run reading it."""
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as folder:
        cas = zone_layout(paths, Path(folder), zones)
        cache = ("--cache-dir", str(Path(folder) / "cache"))
        uncached = run_cli_check(cas, "--no-cache")
        first = run_cli_check(cas, *cache)
        repeated = run_cli_check(cas, *cache)
    return uncached, first, repeated


def run_openssl(paths: list[Path]) -> float:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("openssl not found on PATH")
    start = time.perf_counter()
    for path in paths:
        subprocess.run(
            [openssl, "x509", "-checkend", str(CHECKEND_SECONDS), "-noout", "-in", str(path)],
            capture_output=True,
            check=False,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--openssl-sample", type=int, default=DEFAULT_OPENSSL_SAMPLE)
    parser.add_argument("--zones", type=int, default=DEFAULT_ZONES)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    with tempfile.TemporaryDirectory(prefix="bench-policy-") as folder:
        started = time.perf_counter()
        groups = generate(Path(folder), args.count)
        paths = sorted(path for group in groups.values() for path in group)
        print(f"generated {len(paths)} certificates in {time.perf_counter() - started:.1f} s")
        run_checks(paths[: min(200, len(paths))])  # warm caches and imports
        ours, violations = run_checks(paths)
        verification = run_verification_only(paths)
        per_kind = {
            label: (run_checks(group)[0] / len(group), run_verification_only(group) / len(group))
            for label, group in groups.items()
        }
        sample = paths[: args.openssl_sample]
        openssl_sample = run_openssl(sample)
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache_dir:
            cold = run_checks_cached(paths, Path(cache_dir))
            warm = run_checks_cached(paths, Path(cache_dir))
        uncached, first, repeated = run_repeated(paths, args.zones)
    openssl_total = openssl_sample / len(sample) * len(paths)
    print(f"per-certificate policies ({len(RESOURCE_POLICIES)}) incl. read, parse, facts:")
    print(f"  total {ours:.3f} s for {len(paths)} files, {ours / len(paths) * 1e6:.1f} µs each")
    print(f"  target ≤ {TARGET_SECONDS:.1f} s: {'met' if ours <= TARGET_SECONDS else 'NOT met'}")
    print(f"  violations found: {violations}")
    print(
        f"  of which signature verification alone: {verification:.3f} s"
        f" ({verification / ours:.0%}); everything else: {ours - verification:.3f} s,"
        f" {(ours - verification) / len(paths) * 1e6:.1f} µs each"
    )
    for label, (seconds, verify) in per_kind.items():
        print(
            f"  {label:<8}: {seconds * 1e6:6.1f} µs each (verification {verify * 1e6:5.1f}) -> "
            f"{seconds * len(paths):.2f} s if all {len(paths)} were {label}"
        )
    print(
        f"openssl x509 -checkend, one process per file: {openssl_sample:.2f} s for "
        f"{len(sample)} files, extrapolated to {openssl_total:.1f} s for {len(paths)} "
        "(one expiry question per file)"
    )
    print(f"ratio openssl / ours: {openssl_total / ours:.0f}x")
    print(
        f"per-certificate checks through the cache: first run (parse, fill and save it) "
        f"{cold:.3f} s, repeated with unchanged files {warm:.3f} s; "
        f"ratio {warm / cold:.2f} (target ≤ {REPEATED_TARGET_RATIO}: "
        f"{'met' if warm / cold <= REPEATED_TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"whole `check` of {len(paths)} files in {args.zones} zone folders (cas/<zoneId>/), "
        f"table output: without cache {uncached:.2f} s; first run filling the cache {first:.2f} s "
        f"({first / uncached:.2f}x); repeated, unchanged files {repeated:.2f} s"
    )
    print(
        f"  ratio repeated / first: {repeated / first:.2f} (the rest is finding the files, "
        "the zone policies and writing the output, which no cache removes)"
    )


if __name__ == "__main__":
    main()
