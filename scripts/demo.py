"""``make demo``: the real stack program, on the real Pulumi CLI, against the local emulator.

No Cloudflare account is needed and none is touched: the demo always starts its own emulator
and points the provider at it, whatever CLOUDFLARE_* variables the shell holds (they are
removed from the environment of every command it runs).

Steps: start ``python -m emulator``; generate two demo root CAs (their private keys stay in
memory and are discarded); ``pulumi up`` the repository's stack in ``.demo/`` (own
PULUMI_HOME, file backend, passphrase secrets); print the entries; rotate one CA (the new entry
is created before the old one is deleted); refresh; destroy. ``--keep`` leaves the stack up
and tells how to continue by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulator.process import EmulatorProcess
from scripts.pulumi_driver import PulumiRun, PulumiStack, isolated_env, write_project

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_MARKER = ".trust-store-demo"
DEMO_DIR = REPO_ROOT / ".demo"
POLICY_PACK = REPO_ROOT / "policies"
DEMO_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
STACK = "demo"
KEEP_SECONDS = 3600
#: The origin the demo declares for origin-ca-covers-origins.
ORIGIN_HOST = "origin.demo.example"


def demo_root_ca(common_name: str, now: dt.datetime, days: int) -> str:
    """A self-signed root CA as PEM; its private key is never written anywhere."""
    return demo_root_ca_and_key(common_name, now, days)[0]


def demo_root_ca_and_key(
    common_name: str, now: dt.datetime, days: int
) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A self-signed root CA as PEM, and its key (kept in memory only, to issue an origin's
    certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trust Store Demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"), key


def demo_origin_chain(
    issuer_pem: str, issuer_key: ec.EllipticCurvePrivateKey, hostname: str, now: dt.datetime
) -> str:
    """The certificate an origin server presents for ``hostname``, issued by the given CA."""
    issuer = x509.load_pem_x509_certificate(issuer_pem.encode("ascii"))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def origins_config(hostname: str, chain: str) -> dict[str, object]:
    """Policy config declaring one origin of the demo zone (origin-ca-covers-origins)."""
    return {
        "origin-ca-covers-origins": {
            "origins": [{"zoneId": DEMO_ZONE, "hostname": hostname, "chain": chain}]
        }
    }


class Demo:
    """The demo folder, its isolated Pulumi environment, and the commands run in it."""

    def __init__(self, folder: Path, base_url: str, bin_dir: Path) -> None:
        self.folder = folder
        self.cas = folder / "cas"
        home, backend = folder / "pulumi-home", folder / "backend"
        for path in (self.cas, home, backend):
            path.mkdir(parents=True, exist_ok=True)
        # The repository's own stack program and settings, in the repository's virtualenv.
        write_project(folder, base=REPO_ROOT / "Pulumi.yaml")
        shutil.copy(REPO_ROOT / "__main__.py", folder / "__main__.py")
        # The emulator, never a real account (see the module docstring).
        env = isolated_env(
            home,
            backend,
            passphrase="demo-passphrase",  # noqa: S106 - guards a throwaway local demo state
            extra={"CLOUDFLARE_BASE_URL": base_url, "CLOUDFLARE_API_TOKEN": "demo-token"},
        )
        self.env = env
        print(f"\n$ pulumi stack init {STACK}", flush=True)
        self.stack = PulumiStack(folder, env, bin_dir=bin_dir, stack=STACK)

    def show(self, command: str, run: PulumiRun) -> PulumiRun:
        """Echo a command and its output; fail loudly."""
        print(f"\n$ pulumi {command}", flush=True)
        print(run.stdout.rstrip(), flush=True)
        if not run.ok:
            sys.stderr.write(run.output)
            raise SystemExit(f"demo failed: `pulumi {command}` exited {run.returncode}")
        return run

    def entries(self) -> dict[str, dict[str, str]]:
        entries: dict[str, dict[str, str]] = self.stack.outputs().get("entries", {})
        return entries


def print_entries(title: str, entries: Mapping[str, Mapping[str, str]]) -> None:
    print(f"\n== {title}")
    for name, entry in entries.items():
        print(
            f"   {name:<22} id {entry['id']}  {entry['status']:<8} expires {entry['expiresOn']}"
            f"  SHA-256 {entry['fingerprintSha256'][:16]}…  {entry['subject']}"
        )


def print_api_calls(emulator: EmulatorProcess, since: int) -> int:
    log = emulator.control.requests()
    for request in log[since:]:
        print(f"   API: {request['method']:<6} {request['path']}  -> {request['status']}")
    return len(log)


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave the stack up at the end")
    parser.add_argument(
        "--folder",
        type=Path,
        default=DEMO_DIR,
        help=f"where the demo's project, state and Pulumi home go (default {DEMO_DIR})",
    )
    args = parser.parse_args(argv)
    cli = shutil.which("pulumi")
    if cli is None:
        raise SystemExit("demo needs the Pulumi CLI on PATH: run `make demo` (it installs it)")
    folder: Path = args.folder.resolve()
    prepare_folder(folder)
    now = dt.datetime.now(dt.UTC)
    with EmulatorProcess(["--token", "demo-token"]) as emulator:
        print(f"Emulated Cloudflare API at {emulator.base_url} (no account is used)")
        demo = Demo(folder, emulator.base_url, Path(cli).absolute().parent)
        origin_root, origin_root_key = demo_root_ca_and_key("Demo Origin Root 2026", now, 365)
        (demo.cas / "origin-root-2026.pem").write_text(origin_root)
        (demo.cas / "partner-root.pem").write_text(demo_root_ca("Demo Partner Root", now, 3650))

        stack = demo.stack
        for key, value in (("zoneId", DEMO_ZONE), ("certificatesDir", "cas")):
            print(f"\n$ pulumi config set {key} {value}", flush=True)
            stack.set_config(key, value)
        seen = 0

        # The first up runs the project's policy pack too: each CA is checked before upload.
        demo.show(
            f"up --policy-pack {POLICY_PACK}", stack.up(policy_packs=[POLICY_PACK], check=False)
        )
        seen = print_api_calls(emulator, seen)
        print_entries("Trust store after the first up", demo.entries())

        unchanged = demo.show("up", stack.up(check=False))
        print(f"   (no changes: {unchanged.changes}, and no API calls:)")
        seen = print_api_calls(emulator, seen)

        print(
            f"\n== Rotating origin-root-2026.pem to a new CA while {ORIGIN_HOST} still serves a"
            "\n   certificate from the old one: origin-ca-covers-origins refuses it at preview"
        )
        rotated, rotated_key = demo_root_ca_and_key("Demo Origin Root 2026 (rotated)", now, 730)
        (demo.cas / "origin-root-2026.pem").write_text(rotated)
        serving_old = origins_config(
            ORIGIN_HOST, demo_origin_chain(origin_root, origin_root_key, ORIGIN_HOST, now)
        )
        print(f"\n$ pulumi preview --policy-pack {POLICY_PACK} --policy-pack-config origins.json")
        refused = stack.preview(policy_packs=[POLICY_PACK], policy_config=serving_old, check=False)
        print(refused.stdout.rstrip(), flush=True)
        if refused.ok:
            raise SystemExit("demo failed: the dangerous rotation was not refused")
        print(
            f"\n== After {ORIGIN_HOST}'s certificate is reissued from the new CA, the same"
            "\n   rotation passes the policy: create first, then delete"
        )
        serving_new = origins_config(
            ORIGIN_HOST, demo_origin_chain(rotated, rotated_key, ORIGIN_HOST, now)
        )
        demo.show(
            f"up --policy-pack {POLICY_PACK} --policy-pack-config origins.json",
            stack.up(policy_packs=[POLICY_PACK], policy_config=serving_new, check=False),
        )
        seen = print_api_calls(emulator, seen)

        demo.show("refresh", stack.refresh(check=False))
        seen = print_api_calls(emulator, seen)
        print_entries("Trust store after rotation and refresh", demo.entries())

        if args.keep:
            keep_running(demo, emulator)
            return 0
        print(
            "\n== Destroying: the provider refuses to delete a zone's last usable CA unless the"
            "\n   stack opts in, so this demo opts in explicitly (allowEmptyZone: true), stores"
            "\n   the setting with `pulumi up`, then destroys"
        )
        print("\n$ pulumi config set allowEmptyZone true", flush=True)
        stack.set_config("allowEmptyZone", "true")
        demo.show("up", stack.up(check=False))
        demo.show("destroy", stack.destroy(check=False))
        print_api_calls(emulator, seen)
        left = [e for e in emulator.control.state() if e.get("zone_id") == DEMO_ZONE]
        print(f"\nDone: the stack is destroyed; {len(left)} entries left in the demo zone.")
    return 0


def prepare_folder(folder: Path) -> None:
    """Start from an empty folder; only the default folder (git-ignored) or one an earlier
    demo made is ever removed."""
    if folder.exists() and any(folder.iterdir()):
        if folder != DEMO_DIR and not (folder / DEMO_MARKER).exists():
            raise SystemExit(
                f"{folder} exists and was not made by the demo; choose another --folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARKER).write_text("made by `make demo`; removed by the next demo run\n")


def keep_running(demo: Demo, emulator: EmulatorProcess) -> None:
    """Leave stack and emulator up, say how to use them, and stop on Ctrl-C (or after
    KEEP_SECONDS, so the emulator never outlives a forgotten terminal by much)."""
    exports = " ".join(
        f"{key}={demo.env[key]}"
        for key in (
            "PULUMI_HOME",
            "PULUMI_BACKEND_URL",
            "PULUMI_CONFIG_PASSPHRASE",
            "CLOUDFLARE_BASE_URL",
            "CLOUDFLARE_API_TOKEN",
        )
    )
    print(
        f"\nThe stack is up in {demo.folder}, the emulator at {emulator.base_url}."
        f"\nIn another terminal:\n   cd {demo.folder} && export {exports}"
        "\n   pulumi stack output --json; pulumi refresh; pulumi destroy"
        f"\nPress Ctrl-C here to stop the emulator (it stops by itself in {KEEP_SECONDS} s)."
    )
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(KEEP_SECONDS)


if __name__ == "__main__":
    raise SystemExit(run())
