"""The stack program's logic: find the CA files, declare one entry per CA per zone, export.

Kept out of ``__main__.py`` so it is importable and tested, and so another stack can call
:func:`declare_zone` / :func:`declare_trust_store` with its own list of files.

Stack config (project namespace; the zone forms are validated in ``provider.zone_config``):

* ``zoneId``: one zone's 32-hex-character id, with ``certificates`` (a list of CA file paths:
  PEM, or DER as ``.der``/``.cer``/``.crt`` files often are, relative to the project folder)
  and/or ``certificatesDir`` (a folder whose ``.pem``/``.crt``/``.cer``/``.der`` files are each
  one CA, sorted by name). DER files are converted to PEM here, before any resource sees them:
  state and the API hold PEM.
* or ``zones``: many zones, a map from zone id to ``{certificates | certificatesDir}``, or a
  list of zone ids that all get the top-level ``certificates`` / ``certificatesDir``.
* ``adoptExisting`` / ``waitForActive`` / ``activeTimeoutSeconds`` / ``allowEmptyZone``: passed
  to every entry (see ``CustomOriginTrustStoreArgs``).
* ``rateLimit``: the provider's pacing (``provider.pacing``); checked here so that a typo fails
  before the engine starts, naming the key.

Each zone of ``zones`` is a ``ZoneTrustStore`` component (``provider.zone_component``) whose
children are its entries; the single ``zoneId`` form keeps its entries at the stack's root, so
its URNs are what they always were. Each entry's resource name comes from its zone and certificate
(``provider.naming``), never from its file: renaming or moving a file is no change at all, and
two files holding the same CA in one zone are refused here, before anything is deployed.
Stacks created before components, or when names came from files, keep their entries: the old
URNs are declared as aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from policies.ca_files import CERTIFICATE_SUFFIXES
from policies.reading import FileRefused, read_certificate_file
from policies.trust_rules import certificates
from policies.trust_rules.errors import CertificateInputError, PrivateKeyMaterialError
from provider.errors import ConfigurationError
from provider.naming import entry_resource_name, legacy_file_resource_name
from provider.pacing import CONFIG_RATE_LIMIT, parse_rate_limit
from provider.resource import CustomOriginTrustStore, CustomOriginTrustStoreArgs
from provider.zone_component import ZoneTrustStore, zone_outputs
from provider.zone_config import (
    CERTIFICATES_DIR_KEY,
    CERTIFICATES_KEY,
    ZONE_ID_KEY,
    ZONES_KEY,
    CaSource,
    ProgramConfigError,
    parse_stack_zones,
)

__all__ = ["ProgramConfigError", "declare_trust_store", "declare_zone", "find_ca_files", "run"]


@dataclass(frozen=True)
class CaFile:
    """One CA certificate file: where it is, what it holds, and its fingerprint when it parses
    (``None`` otherwise: the resource's check then says what is wrong with it)."""

    path: Path
    pem: str
    sha256_fingerprint: str | None

    @classmethod
    def load(cls, path: Path) -> CaFile:
        pem = read_ca_file(path)
        try:
            fingerprint: str | None = certificates.facts_from_text(pem).sha256_fingerprint
        except CertificateInputError:
            fingerprint = None
        return cls(path, pem, fingerprint)

    def resource_name(self, zone_id: str) -> str:
        if self.sha256_fingerprint is None:
            # Refused by check before anything is deployed; named by its file meanwhile.
            return legacy_file_resource_name(self.path)
        return entry_resource_name(zone_id, self.sha256_fingerprint)


def find_ca_files(
    base_dir: Path, certificates: Sequence[str] = (), certificates_dir: str | None = None
) -> list[CaFile]:
    """The configured CA files, each once, loaded; ``ProgramConfigError`` otherwise."""
    paths: list[Path] = [base_dir / p for p in certificates]
    if certificates_dir:
        folder = base_dir / certificates_dir
        if not folder.is_dir():
            raise ProgramConfigError(
                f"certificatesDir {certificates_dir!r} is not a folder (looked in {folder})."
            )
        found = sorted(
            path
            for path in folder.iterdir()
            if path.suffix.lower() in CERTIFICATE_SUFFIXES
            and not path.name.startswith(".")
            and path.is_file()
        )
        if not found:
            endings = ", ".join(CERTIFICATE_SUFFIXES)
            raise ProgramConfigError(
                f"certificatesDir {certificates_dir!r} holds no certificate files ({endings});"
                " put one root CA certificate per file there."
            )
        paths += found
    if not paths:
        raise ProgramConfigError(
            "No CA certificates configured: set `certificates` (a list of PEM files, e.g."
            " `pulumi config set --path 'certificates[0]' certs/root.pem`) or `certificatesDir`"
            " (a folder of *.pem files)."
        )
    unique: dict[Path, Path] = {}
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_file():
            raise ProgramConfigError(f"CA certificate file {path} does not exist.")
        unique.setdefault(resolved, path)
    return [CaFile.load(path) for path in unique.values()]


def read_ca_file(path: Path) -> str:
    """The file's certificate as PEM text (a DER file converted); refused here if it holds a
    private key, so the key never leaves this process (the provider's check refuses it too,
    for programs that pass PEM text directly)."""
    try:
        _, text = read_certificate_file(path)
        certificates.parse_certificate_input(text)
    except FileRefused as exc:
        raise ProgramConfigError(
            f"CA certificate file refused: {exc}. Give a PEM or DER root CA certificate file."
        ) from None
    except PrivateKeyMaterialError:
        raise ProgramConfigError(
            f"{path} contains private key material; nothing was sent. Keep only the root CA"
            " certificate in that file and store the key elsewhere (never in the repository)."
        ) from None
    except CertificateInputError:
        pass  # Anything else is reported by the resource's check, naming the resource.
    return text


def name_entries(zone_id: str, files: Sequence[CaFile]) -> dict[str, CaFile]:
    """Resource name -> file; the same CA in two files of one zone is refused."""
    named: dict[str, CaFile] = {}
    for ca in files:
        name = ca.resource_name(zone_id)
        other = named.setdefault(name, ca)
        if other is not ca:
            raise ProgramConfigError(
                f"{other.path} and {ca.path} hold the same CA (SHA-256"
                f" {ca.sha256_fingerprint}) for zone {zone_id}: a zone holds each CA once."
                f" Delete one of the two files; nothing was changed."
                if ca.sha256_fingerprint is not None
                else f"{other.path} and {ca.path} would both be resource {name!r}; rename one."
            )
    return named


def _root_aliases(name: str, legacy: str, parent: pulumi.Resource | None) -> list[pulumi.Alias]:
    """The URNs this entry may have had: at the stack's root (before zone components), and
    by the file-derived name (before 0.2)."""
    if parent is None:
        return [] if legacy == name else [pulumi.Alias(name=legacy)]
    aliases = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    if legacy != name:
        aliases.append(pulumi.Alias(name=legacy, parent=pulumi.ROOT_STACK_RESOURCE))
    return aliases


def declare_trust_store(
    zone_id: str,
    files: Sequence[CaFile],
    *,
    adopt_existing: bool | None = None,
    wait_for_active: bool | None = None,
    active_timeout_seconds: int | None = None,
    allow_empty_zone: bool | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, CustomOriginTrustStore]:
    """One ``CustomOriginTrustStore`` per CA, keyed by resource name (see ``provider.naming``).

    With ``opts.parent`` (a ``ZoneTrustStore``), each entry also answers to its URN at the
    stack's root, so older stacks move under the component without replacement.
    """
    parent = opts.parent if opts is not None else None
    entries = {}
    for name, ca in name_entries(zone_id, files).items():
        aliases = _root_aliases(name, legacy_file_resource_name(ca.path), parent)
        entries[name] = CustomOriginTrustStore(
            name,
            CustomOriginTrustStoreArgs(
                zone_id=zone_id,
                certificate=ca.pem,
                adopt_existing=adopt_existing,
                wait_for_active=wait_for_active,
                active_timeout_seconds=active_timeout_seconds,
                allow_empty_zone=allow_empty_zone,
            ),
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)),
        )
    return entries


@dataclass(frozen=True)
class EntryOptions:
    """The stack-wide options every entry gets."""

    adopt_existing: bool | None = None
    wait_for_active: bool | None = None
    active_timeout_seconds: int | None = None
    allow_empty_zone: bool | None = None


def declare_zone(
    zone_id: str, files: Sequence[CaFile], options: EntryOptions, *, component: bool = True
) -> tuple[dict[str, pulumi.Output[Any]], dict[str, CustomOriginTrustStore]]:
    """One zone's entries and its zone outputs (``provider.zone_component.zone_outputs``).

    With ``component`` (every zone of ``zones``) the entries are the children of a
    ``ZoneTrustStore`` holding those outputs; without (the single ``zoneId`` form) they stay at
    the stack's root, where stacks of that form have always had them.
    """
    parent = ZoneTrustStore(zone_id) if component else None
    entries = declare_trust_store(
        zone_id,
        files,
        adopt_existing=options.adopt_existing,
        wait_for_active=options.wait_for_active,
        active_timeout_seconds=options.active_timeout_seconds,
        allow_empty_zone=options.allow_empty_zone,
        opts=pulumi.ResourceOptions(parent=parent) if parent is not None else None,
    )
    if parent is None:
        return zone_outputs(entries), entries
    parent.finish(entries)
    return parent.outputs(), entries


def export_entries(entries: dict[str, CustomOriginTrustStore]) -> None:
    """Export ``entries``: per resource name its id, status, expiry, fingerprint, subject and
    key type."""
    pulumi.export(
        "entries",
        {
            name: {
                "id": entry.id,
                "status": entry.status,
                "expiresOn": entry.expires_on,
                "fingerprintSha256": entry.fingerprint_sha256,
                "subject": entry.subject,
                "keyType": entry.key_type,
            }
            for name, entry in entries.items()
        },
    )


def files_for(
    base_dir: Path, source: CaSource, loaded: dict[CaSource, list[CaFile]]
) -> list[CaFile]:
    """A zone's CA files, read once per distinct source however many zones share it."""
    if source not in loaded:
        try:
            loaded[source] = find_ca_files(base_dir, source.certificates, source.certificates_dir)
        except ProgramConfigError as exc:
            if source.key.startswith(ZONES_KEY):
                raise ProgramConfigError(f"Stack config {source.key}: {exc}") from None
            raise
    return loaded[source]


def check_rate_limit(text: str | None) -> None:
    """Refuse a malformed ``rateLimit`` here, naming the key, before the engine runs."""
    if text:
        try:
            parse_rate_limit(text, source=f"Stack config {CONFIG_RATE_LIMIT}")
        except ConfigurationError as exc:
            raise ProgramConfigError(str(exc)) from None


def run(config: pulumi.Config, base_dir: Path) -> None:
    """The whole stack program, driven by ``config`` (see the module docstring)."""
    raw = {
        ZONE_ID_KEY: config.get(ZONE_ID_KEY),
        ZONES_KEY: config.get_object(ZONES_KEY),
        CERTIFICATES_KEY: config.get_object(CERTIFICATES_KEY),
        CERTIFICATES_DIR_KEY: config.get(CERTIFICATES_DIR_KEY),
    }
    options = EntryOptions(
        adopt_existing=config.get_bool("adoptExisting"),
        wait_for_active=config.get_bool("waitForActive"),
        active_timeout_seconds=config.get_int("activeTimeoutSeconds"),
        allow_empty_zone=config.get_bool("allowEmptyZone"),
    )
    check_rate_limit(config.get(CONFIG_RATE_LIMIT))
    stack_zones = parse_stack_zones(raw)
    loaded: dict[CaSource, list[CaFile]] = {}
    zone_exports: dict[str, dict[str, pulumi.Output[Any]]] = {}
    all_entries: dict[str, CustomOriginTrustStore] = {}
    for spec in stack_zones.zones:
        files = files_for(base_dir, spec.source, loaded)
        outputs, entries = declare_zone(
            spec.zone_id, files, options, component=not stack_zones.single
        )
        zone_exports[spec.zone_id] = outputs
        all_entries.update(entries)
    if stack_zones.single:
        pulumi.export("zoneId", stack_zones.zones[0].zone_id)
    pulumi.export("zones", zone_exports)
    export_entries(all_entries)
