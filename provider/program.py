"""The stack program's logic: find the CA files, declare one entry per CA, export the results.

Kept out of ``__main__.py`` so it is importable and tested, and so another stack can call
:func:`declare_trust_store` with its own list of files.

Stack config (project namespace):

* ``zoneId`` (required): the zone's 32-hex-character id.
* ``certificates``: a list of PEM file paths, relative to the project folder.
* ``certificatesDir``: a folder whose ``*.pem`` files are each one CA (sorted by name).
* ``adoptExisting`` / ``waitForActive`` / ``activeTimeoutSeconds``: passed to every entry
  (see ``CustomOriginTrustStoreArgs``).

Each entry's resource name is derived from its file name (``ca-<stem>``), so it is stable
while the file keeps its name; renaming a file is a new resource (use an alias to keep it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi

from policies.trust_rules import certificates
from policies.trust_rules.errors import CertificateInputError, PrivateKeyMaterialError
from provider.resource import CustomOriginTrustStore, CustomOriginTrustStoreArgs

RESOURCE_PREFIX = "ca-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ProgramConfigError(ValueError):
    """The stack config does not describe a usable set of CA files.

    A ValueError rather than a ``TrustStoreError``: it is raised by the program, before any
    resource or API call exists, and Pulumi reports it as a program error.
    """


@dataclass(frozen=True)
class CaFile:
    """One CA certificate file and the stable resource name derived from it."""

    resource_name: str
    path: Path


def resource_name_for(path: Path) -> str:
    """``certs/Origin Root 2026.pem`` -> ``ca-Origin-Root-2026``: readable, stable, URN-safe."""
    stem = _UNSAFE.sub("-", path.stem).strip("-.") or "certificate"
    return f"{RESOURCE_PREFIX}{stem}"


def find_ca_files(
    base_dir: Path, certificates: Sequence[str] = (), certificates_dir: str | None = None
) -> list[CaFile]:
    """The configured CA files, with unique resource names; ``ProgramConfigError`` otherwise."""
    paths: list[Path] = [base_dir / p for p in certificates]
    if certificates_dir:
        folder = base_dir / certificates_dir
        if not folder.is_dir():
            raise ProgramConfigError(
                f"certificatesDir {certificates_dir!r} is not a folder (looked in {folder})."
            )
        found = sorted(folder.glob("*.pem"))
        if not found:
            raise ProgramConfigError(
                f"certificatesDir {certificates_dir!r} holds no *.pem files; put one root CA"
                " certificate per .pem file there."
            )
        paths += found
    if not paths:
        raise ProgramConfigError(
            "No CA certificates configured: set `certificates` (a list of PEM files, e.g."
            " `pulumi config set --path 'certificates[0]' certs/root.pem`) or `certificatesDir`"
            " (a folder of *.pem files)."
        )
    return _unique(paths)


def _unique(paths: Iterable[Path]) -> list[CaFile]:
    by_name: dict[str, Path] = {}
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_file():
            raise ProgramConfigError(f"CA certificate file {path} does not exist.")
        name = resource_name_for(path)
        other = by_name.get(name)
        if other is not None and other != resolved:
            raise ProgramConfigError(
                f"{other} and {resolved} would both be resource {name!r}; rename one file."
            )
        by_name[name] = resolved
    return [CaFile(name, path) for name, path in by_name.items()]


def read_ca_file(path: Path) -> str:
    """The file's text; refused here if it holds a private key, so the key never leaves this
    process (the provider's check refuses it too, for programs that pass PEM text directly)."""
    text = path.read_text()
    try:
        certificates.parse_certificate_input(text)
    except PrivateKeyMaterialError:
        raise ProgramConfigError(
            f"{path} contains private key material; nothing was sent. Keep only the root CA"
            " certificate in that file and store the key elsewhere (never in the repository)."
        ) from None
    except CertificateInputError:
        pass  # Anything else is reported by the resource's check, naming the resource.
    return text


def declare_trust_store(
    zone_id: pulumi.Input[str],
    files: Sequence[CaFile],
    *,
    adopt_existing: bool | None = None,
    wait_for_active: bool | None = None,
    active_timeout_seconds: int | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, CustomOriginTrustStore]:
    """One ``CustomOriginTrustStore`` per file, keyed by resource name."""
    return {
        ca.resource_name: CustomOriginTrustStore(
            ca.resource_name,
            CustomOriginTrustStoreArgs(
                zone_id=zone_id,
                certificate=read_ca_file(ca.path),
                adopt_existing=adopt_existing,
                wait_for_active=wait_for_active,
                active_timeout_seconds=active_timeout_seconds,
            ),
            opts,
        )
        for ca in files
    }


def export_entries(entries: dict[str, CustomOriginTrustStore]) -> None:
    """Export ``entries``: per resource name its id, status, expiry and fingerprint."""
    pulumi.export(
        "entries",
        {
            name: {
                "id": entry.id,
                "status": entry.status,
                "expiresOn": entry.expires_on,
                "fingerprintSha256": entry.fingerprint_sha256,
                "subject": entry.subject,
            }
            for name, entry in entries.items()
        },
    )


def run(config: pulumi.Config, base_dir: Path) -> None:
    """The whole stack program, driven by ``config`` (see the module docstring)."""
    zone_id = config.require("zoneId")
    files = find_ca_files(
        base_dir,
        config.get_object("certificates") or [],
        config.get("certificatesDir"),
    )
    entries = declare_trust_store(
        zone_id,
        files,
        adopt_existing=config.get_bool("adoptExisting"),
        wait_for_active=config.get_bool("waitForActive"),
        active_timeout_seconds=config.get_int("activeTimeoutSeconds"),
    )
    pulumi.export("zoneId", zone_id)
    export_entries(entries)
