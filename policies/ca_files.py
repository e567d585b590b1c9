"""Which CA files ``check`` judges, and the zone each belongs to.

Three ways to say it, from most to least explicit: a zone map (``--zone-map``: zone id → files,
folders or globs), the layout ``cas/<zoneId>/…`` (the folder under a ``cas`` folder is the zone),
and ``--zone`` for everything else. Without any of them the files form one set of CAs with no
zone: the tool never invents a zone name. A folder stands for every certificate file inside it,
recursively, so a CA deleted from the folder is judged by its absence.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from policies.reading import FileRefused, read_text_file
from policies.trust_rules.outcomes import is_zone_id
from policies.trust_rules.printable import printable

#: File name endings taken as certificates when a folder or glob is expanded.
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
#: The folder whose sub-folders are named after zones: ``cas/<zoneId>/root.pem``.
ZONE_LAYOUT_FOLDER = "cas"
_GLOB_CHARACTERS = frozenset("*?[")


class CaFileError(Exception):
    """A path, glob or zone map that does not lead to certificate files."""


@dataclass(frozen=True, slots=True)
class CaFile:
    path: Path  # resolved
    display: str  # as the user would name it: relative to the working folder when inside it
    zone_id: str | None

    @classmethod
    def at(cls, resolved: Path, zone_id: str | None, cwd: Path) -> CaFile:
        return cls(resolved, display_path(resolved, cwd), zone_id)


def display_path(resolved: Path, cwd: Path) -> str:
    """``resolved`` relative to ``cwd`` (both resolved) when inside it, else absolute."""
    text, prefix = str(resolved), str(cwd).rstrip(os.sep) + os.sep
    return Path(text[len(prefix) :]).as_posix() if text.startswith(prefix) else text


def _is_certificate_name(path: Path) -> bool:
    return path.suffix.lower() in CERTIFICATE_SUFFIXES


def files_in_folder(folder: Path) -> list[Path]:
    """Every certificate file under ``folder`` (hidden entries such as .git skipped), sorted."""
    found = []
    for parent, folders, names in os.walk(folder.resolve()):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [
            Path(parent, name)
            for name in names
            if not name.startswith(".") and name.lower().endswith(CERTIFICATE_SUFFIXES)
        ]
    if not found:
        endings = ", ".join(CERTIFICATE_SUFFIXES)
        raise CaFileError(
            f"folder {folder} holds no certificate file ({endings}); an empty folder would "
            "leave its zone without CAs — add the CAs, or name the files to check"
        )
    return sorted(found)


def expand(path: Path) -> list[Path]:
    """A file, a folder (its certificate files) or a glob (what it matches, folders expanded).

    Paths come back resolved (absolute, no symlinked folders), each resolved once.
    """
    text = os.fspath(path)
    if _GLOB_CHARACTERS & set(text):
        matches = sorted(Path(match) for match in glob.glob(text, recursive=True))
        if not matches:
            raise CaFileError(f"{text} matches no file")
        expanded: list[Path] = []
        for match in matches:
            if match.is_dir():
                expanded += files_in_folder(match)
            elif _is_certificate_name(match):
                expanded.append(match.resolve())
        if not expanded:
            raise CaFileError(
                f"{text} matches no certificate file ({', '.join(CERTIFICATE_SUFFIXES)})"
            )
        return expanded
    if path.is_dir():
        return files_in_folder(path)
    if not os.path.lexists(path):
        raise CaFileError(
            f"cannot read {printable(text)}: No such file or directory (name the CA folder or "
            "files to check; the pre-commit hook checks cas/ unless its args name another folder)"
        )
    # The file as named (a symlink stays the link, so messages name what the user gave; its
    # folder is resolved); a dangling link, a loop or a device is refused when it is read.
    return [path.absolute().parent.resolve() / path.name]


def layout_zone(resolved: Path) -> str | None:
    """The zone the ``cas/<zoneId>/…`` layout gives a (resolved) path, if it follows it."""
    parts = resolved.parts[:-1]
    for position in range(len(parts) - 1, 0, -1):
        if parts[position - 1] == ZONE_LAYOUT_FOLDER and is_zone_id(parts[position]):
            return parts[position].lower()
    return None


def from_arguments(paths: Iterable[Path], zone_id: str | None) -> list[CaFile]:
    """Files named on the command line; the layout's zone, else ``zone_id``, else none."""
    files = []
    cwd = Path.cwd().resolve()
    for given in paths:
        for path in expand(given):
            ca_file = CaFile.at(path, zone_id, cwd)
            from_layout = layout_zone(ca_file.path)
            if from_layout and zone_id and from_layout != zone_id.lower():
                raise CaFileError(
                    f"{ca_file.display} lies in the folder of zone {from_layout} "
                    f"({ZONE_LAYOUT_FOLDER}/<zoneId>/) but --zone says {zone_id}; drop --zone, "
                    "or move the file"
                )
            files.append(CaFile(ca_file.path, ca_file.display, from_layout or zone_id))
    return files


def _patterns(zone_id: str, value: object, map_path: Path) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise CaFileError(
            f"zone map {map_path}: zone {zone_id} must map to a file, folder or glob, or a "
            f'non-empty list of them, e.g. {{"{zone_id}": ["cas/prod/*.pem"]}}'
        )
    return list(value)


def read_json(path: Path, what: str) -> object:
    """A JSON file the user names (a zone map, a policy config); errors say which and why."""
    try:
        return json.loads(read_text_file(path, what=f"JSON {what}"))
    except FileRefused as exc:
        raise CaFileError(str(exc)) from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, a 5000-digit number
        raise CaFileError(f"{what} {printable(str(path))} is not valid JSON: {exc}") from None


def from_zone_map(map_path: Path) -> list[CaFile]:
    """``{"<zoneId>": ["cas/prod/*.pem", "shared/root.pem"]}``; paths relative to the map."""
    raw = read_json(map_path, "zone map")
    if not isinstance(raw, dict) or not raw:
        raise CaFileError(
            f"zone map {map_path}: expected a JSON object from zone id to files, folders or "
            'globs, e.g. {"023e105f4ecef8ad9ca31a8372d0c353": ["cas/prod/*.pem"]}'
        )
    base = map_path.parent
    cwd = Path.cwd().resolve()
    files = []
    for zone_id, value in raw.items():
        if not zone_id.strip():
            raise CaFileError(f"zone map {map_path}: a zone id is empty")
        for pattern in _patterns(zone_id, value, map_path):
            pattern_path = Path(pattern)
            located = pattern_path if pattern_path.is_absolute() else base / pattern_path
            try:
                expanded = expand(located)
            except CaFileError as exc:
                raise CaFileError(f"zone map {map_path}, zone {zone_id}: {exc}") from None
            files += [CaFile.at(path, zone_id, cwd) for path in expanded]
    return files


def unique(files: Sequence[CaFile]) -> list[CaFile]:
    """Each (file, zone) once, in first-seen order: a folder and a file inside it overlap."""
    seen: set[tuple[Path, str | None]] = set()
    kept = []
    for ca_file in files:
        key = (ca_file.path, ca_file.zone_id)
        if key not in seen:
            seen.add(key)
            kept.append(ca_file)
    return kept
