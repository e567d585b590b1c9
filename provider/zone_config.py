"""Which zones a stack manages and which CA files each gets: the stack config, validated.

Two forms, never mixed (see docs/provider.md, "Many zones in one stack"):

* single zone (unchanged since 0.1)::

      zoneId: 023e105f4ecef8ad9ca31a8372d0c353
      certificatesDir: cas            # and/or certificates: [a.pem, b.pem]

* many zones, ``zones``, either a map from zone id to that zone's own CA files::

      zones:
        023e105f4ecef8ad9ca31a8372d0c353: {certificatesDir: cas/prod}
        9a7806061c88ada191ed06f989cc3dac: {certificates: [cas/a.pem, cas/b.pem]}
        5e1c9ab1d2f04c6e8a7b3d2c1f0e9a8b: {}      # the shared set below

  A zone's value may also be a folder path alone (``cas/prod``, short for ``{certificatesDir:
  cas/prod}``) or empty (``""``), which the CLI can set:
  ``pulumi config set --path zones.<zone id> cas/prod``.

  Or a list of zone ids that all get the shared set::

      zones: [023e105f4ecef8ad9ca31a8372d0c353, 9a7806061c88ada191ed06f989cc3dac]

  The shared set is the top-level ``certificates`` / ``certificatesDir``, the keys the single
  form uses, so turning a single-zone stack into a multi-zone one is adding ``zones`` and
  removing ``zoneId``.

Everything here is pure (no files read): errors name the config key that is wrong, as the user
wrote it (``zones.<id>.certificatesDir``), and what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provider.naming import ZONE_CHARS
from provider.properties import check_zone_id

ZONE_ID_KEY = "zoneId"
ZONES_KEY = "zones"
CERTIFICATES_KEY = "certificates"
CERTIFICATES_DIR_KEY = "certificatesDir"
#: Keys a zone's value in the ``zones`` map may hold.
ZONE_KEYS = (CERTIFICATES_KEY, CERTIFICATES_DIR_KEY)
#: A stack config holding more zones than this is refused: one stack's engine run and one
#: token's rate limit do not stretch further (docs/scaling.md says how to split).
MAX_ZONES = 5000

_EXAMPLE = (
    "e.g. `pulumi config set --path 'zones.023e105f4ecef8ad9ca31a8372d0c353.certificatesDir'"
    " cas/prod`, or a list of zone ids sharing `certificatesDir` (see docs/provider.md)"
)


class ProgramConfigError(ValueError):
    """The stack config does not describe a usable set of zones or CA files.

    A ValueError rather than a ``TrustStoreError``: it is raised by the program, before any
    resource or API call exists, and Pulumi reports it as a program error.
    """


@dataclass(frozen=True)
class CaSource:
    """Where one zone's CA files are: listed files and/or a folder of ``*.pem`` files.

    ``key`` is the config key the source came from, for messages (``zones.<id>``, or the
    top-level keys for the shared set).
    """

    certificates: tuple[str, ...]
    certificates_dir: str | None
    key: str

    @property
    def is_empty(self) -> bool:
        return not self.certificates and not self.certificates_dir


@dataclass(frozen=True)
class ZoneSpec:
    """One zone of the stack and where its CA files are."""

    zone_id: str
    source: CaSource


@dataclass(frozen=True)
class StackZones:
    """The zones of one stack, in config order; ``single`` for the old ``zoneId`` form."""

    zones: tuple[ZoneSpec, ...]
    single: bool


def _is_unset(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _paths(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise ProgramConfigError(
            f"Stack config {key} must be a list of PEM file paths (relative to the project"
            f" folder); got {_shown(value)}."
        )
    return tuple(value)


def _folder(value: Any, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProgramConfigError(
            f"Stack config {key} must be a folder path (a string); got {_shown(value)}."
        )
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _zone_id(value: Any, key: str) -> str:
    checked, failure = check_zone_id(value)
    if failure is not None or checked is None:
        reason = failure.reason.removeprefix(f"{ZONE_ID_KEY} ") if failure else "is not a zone id"
        raise ProgramConfigError(f"Stack config {key}: a zone id {reason}")
    return checked


def shared_source(config: Mapping[str, Any]) -> CaSource:
    """The top-level ``certificates`` / ``certificatesDir``: the single zone's files, or the
    set shared by every zone of ``zones`` that names none of its own."""
    return CaSource(
        _paths(config.get(CERTIFICATES_KEY), CERTIFICATES_KEY),
        _folder(config.get(CERTIFICATES_DIR_KEY), CERTIFICATES_DIR_KEY),
        key=f"{CERTIFICATES_KEY}/{CERTIFICATES_DIR_KEY}",
    )


def _zone_source(value: Any, key: str, shared: CaSource) -> CaSource:
    if _is_unset(value):
        if shared.is_empty:
            raise ProgramConfigError(
                f"Stack config {key} names no CA files and there is no shared set: give it"
                f" `{CERTIFICATES_DIR_KEY}` or `{CERTIFICATES_KEY}`, or set the top-level"
                f" `{CERTIFICATES_DIR_KEY}` every such zone gets."
            )
        return shared
    if isinstance(value, str):
        # `pulumi config set --path zones.<id> cas/prod`: the folder, in short.
        return CaSource((), value, key=key)
    if not isinstance(value, Mapping):
        raise ProgramConfigError(
            f"Stack config {key} must be a folder path, or a map with `{CERTIFICATES_DIR_KEY}`"
            f" and/or `{CERTIFICATES_KEY}`; got {_shown(value)}."
        )
    unknown = sorted(str(k) for k in value if k not in ZONE_KEYS)
    if unknown:
        raise ProgramConfigError(
            f"Stack config {key} has unknown key(s) {', '.join(unknown)}: a zone takes only"
            f" `{CERTIFICATES_DIR_KEY}` and `{CERTIFICATES_KEY}`."
        )
    source = CaSource(
        _paths(value.get(CERTIFICATES_KEY), f"{key}.{CERTIFICATES_KEY}"),
        _folder(value.get(CERTIFICATES_DIR_KEY), f"{key}.{CERTIFICATES_DIR_KEY}"),
        key=key,
    )
    return shared if source.is_empty and not shared.is_empty else source


def _zone_list(value: Sequence[Any], shared: CaSource) -> list[ZoneSpec]:
    if shared.is_empty:
        raise ProgramConfigError(
            f"Stack config {ZONES_KEY} is a list of zone ids, which all get the shared CA"
            f" files, but neither `{CERTIFICATES_DIR_KEY}` nor `{CERTIFICATES_KEY}` is set: set"
            f" one, or make {ZONES_KEY} a map from zone id to its files ({_EXAMPLE})."
        )
    return [ZoneSpec(_zone_id(z, f"{ZONES_KEY}[{i}]"), shared) for i, z in enumerate(value)]


def _zone_map(value: Mapping[Any, Any], shared: CaSource) -> list[ZoneSpec]:
    specs = []
    for raw_id, zone_value in value.items():
        key = f"{ZONES_KEY}.{raw_id}"
        specs.append(ZoneSpec(_zone_id(raw_id, key), _zone_source(zone_value, key, shared)))
    return specs


def parse_stack_zones(config: Mapping[str, Any]) -> StackZones:
    """The stack's zones from its config (keys without the project namespace)."""
    zone_id, zones = config.get(ZONE_ID_KEY), config.get(ZONES_KEY)
    shared = shared_source(config)
    if not _is_unset(zone_id) and not _is_unset(zones):
        raise ProgramConfigError(
            f"Stack config sets both {ZONE_ID_KEY} and {ZONES_KEY}: use one. To manage several"
            f" zones, move {ZONE_ID_KEY}'s zone into {ZONES_KEY} (its entries keep their names,"
            f" nothing is replaced) and `pulumi config rm {ZONE_ID_KEY}`."
        )
    if _is_unset(zones):
        if _is_unset(zone_id):
            raise ProgramConfigError(
                f"No zone configured: `pulumi config set {ZONE_ID_KEY} <zone id>` for one zone,"
                f" or set {ZONES_KEY} for several ({_EXAMPLE})."
            )
        if shared.is_empty:
            raise ProgramConfigError(
                "No CA certificates configured: set `certificates` (a list of PEM files, e.g."
                " `pulumi config set --path 'certificates[0]' certs/root.pem`) or"
                " `certificatesDir` (a folder of *.pem files)."
            )
        # Kept as written: the entries' check refuses a bad id, naming the resource, as
        # it always has for this form.
        return StackZones((ZoneSpec(str(zone_id), shared),), single=True)
    if isinstance(zones, Mapping):
        specs = _zone_map(zones, shared)
    elif isinstance(zones, list):
        specs = _zone_list(zones, shared)
    else:
        raise ProgramConfigError(
            f"Stack config {ZONES_KEY} must be a map from zone id to its CA files, or a list of"
            f" zone ids sharing `{CERTIFICATES_DIR_KEY}`; got {_shown(zones)} ({_EXAMPLE})."
        )
    if len(specs) > MAX_ZONES:
        raise ProgramConfigError(
            f"Stack config {ZONES_KEY} holds {len(specs)} zones; one stack manages at most"
            f" {MAX_ZONES}. Split the zones over several stacks (docs/scaling.md)."
        )
    seen: dict[str, int] = {}
    prefixes: dict[str, str] = {}
    for index, spec in enumerate(specs):
        if spec.zone_id in seen:
            raise ProgramConfigError(
                f"Stack config {ZONES_KEY} names zone {spec.zone_id} twice (entries"
                f" {seen[spec.zone_id]} and {index}, ids compared in lower case): keep one."
            )
        seen[spec.zone_id] = index
        other = prefixes.setdefault(spec.zone_id[:ZONE_CHARS], spec.zone_id)
        if other != spec.zone_id:
            raise ProgramConfigError(
                f"Stack config {ZONES_KEY}: zones {other} and {spec.zone_id} share their first"
                f" {ZONE_CHARS} characters, which entry names are made of (provider.naming), so"
                " the same CA would get the same name in both. Manage one of them in another"
                " stack."
            )
    return StackZones(tuple(specs), single=False)
