"""Configuration lookup, the bounded wait for ``active``, and the stack program's file rules."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import hashes

from policies.trust_rules.resource_type import EntryStatus
from provider import program
from provider.client import DEFAULT_BASE_URL
from provider.config import resolve_settings
from provider.credentials import ApiKey, ApiToken
from provider.entries import TrustStoreEntry
from provider.errors import ConfigurationError, NotActiveError
from provider.naming import entry_resource_name, legacy_file_resource_name
from provider.program import ProgramConfigError, find_ca_files, name_entries, read_ca_file
from provider.waiting import wait_until_active
from scripts.certs import NOW, root_ca
from tests.common import ZONE_ID

# -- configuration --------------------------------------------------------------------------


def test_stack_config_wins_over_the_environment_and_a_token_over_a_key_pair() -> None:
    env = {"CLOUDFLARE_API_TOKEN": "env-token", "CLOUDFLARE_BASE_URL": "https://env.example"}
    settings = resolve_settings(
        {"cloudflare:apiToken": "config-token", "cloudflare:baseUrl": "https://cfg.example"}, env
    )
    assert isinstance(settings.credentials, ApiToken)
    assert settings.credentials.auth_headers() == {"Authorization": "Bearer config-token"}
    assert settings.base_url == "https://cfg.example"

    from_env = resolve_settings({}, env)
    assert from_env.credentials.auth_headers() == {"Authorization": "Bearer env-token"}
    assert from_env.base_url == "https://env.example"

    legacy = resolve_settings(
        {"cloudflare:apiKey": "k" * 37, "cloudflare:email": "a@b.example"}, {}
    )
    assert isinstance(legacy.credentials, ApiKey)
    assert legacy.base_url == DEFAULT_BASE_URL


def test_missing_or_half_credentials_name_what_to_set() -> None:
    with pytest.raises(ConfigurationError, match="pulumi config set --secret cloudflare:apiToken"):
        resolve_settings({}, {})
    with pytest.raises(ConfigurationError, match="no account email"):
        resolve_settings({"cloudflare:apiKey": "k" * 37}, {})


def test_settings_cannot_be_pickled() -> None:
    import pickle

    settings = resolve_settings({"cloudflare:apiToken": "secret-token"}, {})
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(settings)


# -- waiting ----------------------------------------------------------------------------------


def entry(status: EntryStatus) -> TrustStoreEntry:
    return TrustStoreEntry(
        id="a" * 32,
        certificate="",
        expires_on=NOW,
        issuer="",
        signature="",
        status=status,
        updated_at=NOW,
        uploaded_on=NOW,
    )


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_until_active() -> None:
    clock = FakeTime()
    answers = iter([entry(EntryStatus.PENDING_DEPLOYMENT), entry(EntryStatus.ACTIVE)])
    done = wait_until_active(
        lambda: next(answers),
        entry(EntryStatus.INITIALIZING),
        zone_id="z",
        timeout=60,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    assert done.status == EntryStatus.ACTIVE
    assert clock.sleeps == [2.0, 2.0]


def test_wait_is_bounded_in_time_and_in_polls() -> None:
    clock = FakeTime()
    polls: list[int] = []

    def fetch() -> TrustStoreEntry:
        polls.append(1)
        return entry(EntryStatus.INITIALIZING)

    with pytest.raises(NotActiveError, match="still initializing after 10 s"):
        wait_until_active(
            fetch,
            entry(EntryStatus.INITIALIZING),
            zone_id="z",
            timeout=10,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )
    assert clock.now == pytest.approx(10)
    assert len(polls) <= 6


def test_wait_gives_up_at_once_on_an_expired_entry() -> None:
    clock = FakeTime()
    with pytest.raises(NotActiveError, match="it is expired, so it never will be"):
        wait_until_active(
            lambda: entry(EntryStatus.ACTIVE),
            entry(EntryStatus.EXPIRED),
            zone_id="z",
            timeout=60,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )
    assert clock.sleeps == []


# -- the stack program's files ---------------------------------------------------------------------


def test_resource_names_come_from_zone_and_certificate_never_from_the_file(tmp_path: Path) -> None:
    zone = "023E105F4ECEF8AD9CA31A8372D0C353"
    ca = root_ca("Named")
    fingerprint = ca.cert.fingerprint(hashes.SHA256()).hex()
    assert entry_resource_name(zone, fingerprint) == f"ca-023e105f4ece-{fingerprint[:16]}"
    (tmp_path / "a.pem").write_text(ca.pem)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "renamed.pem").write_text("\n" + ca.pem.replace("\n", "\r\n"))
    [before] = name_entries(zone, find_ca_files(tmp_path, ["a.pem"]))
    [after] = name_entries(zone, find_ca_files(tmp_path, ["sub/renamed.pem"]))
    assert before == after == entry_resource_name(zone, fingerprint)
    # The names of versions that named entries by file stay as aliases.
    assert legacy_file_resource_name(Path("certs/Origin Root 2026.pem")) == "ca-Origin-Root-2026"
    assert legacy_file_resource_name(Path("x/partner_root.v2.pem")) == "ca-partner_root.v2"


def test_the_same_ca_in_two_files_of_one_zone_is_refused_before_deployment(
    tmp_path: Path,
) -> None:
    ca = root_ca("Twice")
    (tmp_path / "a.pem").write_text(ca.pem)
    (tmp_path / "b.pem").write_text(ca.pem)
    files = find_ca_files(tmp_path, ["a.pem", "b.pem", "a.pem"])
    assert len(files) == 2, "the same file listed twice is one file"
    with pytest.raises(ProgramConfigError) as refused:
        name_entries(ZONE_ID, files)
    fingerprint = ca.cert.fingerprint(hashes.SHA256()).hex()
    assert str(refused.value) == (
        f"{tmp_path / 'a.pem'} and {tmp_path / 'b.pem'} hold the same CA (SHA-256 {fingerprint})"
        f" for zone {ZONE_ID}: a zone holds each CA once. Delete one of the two files; nothing"
        " was changed."
    )


def test_files_from_a_list_and_a_folder_with_clear_refusals(tmp_path: Path) -> None:
    (tmp_path / "cas").mkdir()
    for name in ("b", "a"):
        (tmp_path / "cas" / f"{name}.pem").write_text(root_ca(name).pem)
    (tmp_path / "extra.pem").write_text(root_ca("extra").pem)

    found = find_ca_files(tmp_path, ["extra.pem"], "cas")
    assert [f.path.name for f in found] == ["extra.pem", "a.pem", "b.pem"]

    with pytest.raises(ProgramConfigError, match="No CA certificates configured"):
        find_ca_files(tmp_path)
    with pytest.raises(ProgramConfigError, match="is not a folder"):
        find_ca_files(tmp_path, certificates_dir="missing")
    with pytest.raises(ProgramConfigError, match="does not exist"):
        find_ca_files(tmp_path, ["nope.pem"])


def test_a_key_file_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    ca = root_ca("Keyed")
    path = tmp_path / "keyed.pem"
    path.write_text(ca.pem + ca.key_pem)
    with pytest.raises(ProgramConfigError, match="private key material") as refused:
        read_ca_file(path)
    assert ca.key_pem.splitlines()[1] not in str(refused.value)


class RecordingConfig:
    """Stands in for ``pulumi.Config``: records every key the program reads."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def _get(self, key: str) -> Any:
        self.read.add(key)
        return None

    require = get = get_object = get_bool = get_int = _get


def test_every_config_key_the_program_reads_is_declared_in_pulumi_yaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(program, "find_ca_files", lambda *args: [])
    monkeypatch.setattr(program, "declare_trust_store", lambda *args, **kwargs: {})
    monkeypatch.setattr(program, "export_entries", lambda entries: None)
    monkeypatch.setattr(program.pulumi, "export", lambda name, value: None)
    config = RecordingConfig()
    with contextlib.suppress(ProgramConfigError):  # nothing is set: every key is read first
        program.run(config, Path())  # type: ignore[arg-type]

    project = yaml.safe_load((Path(__file__).parents[2] / "Pulumi.yaml").read_text())
    assert config.read == set(project["config"])
