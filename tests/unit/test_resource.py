"""The dynamic provider's operations, called as the engine calls them, against a real emulator
server on a loopback socket (no Pulumi CLI; see tests/e2e for that)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from emulator import EmulatorConfig
from emulator.server import EmulatorServer
from provider.client import TrustStoreEntry
from provider.errors import AcmNotEnabledError, ConfigurationError
from provider.lifecycle_errors import DuplicateEntryError, NotActiveError
from provider.resource import (
    CustomOriginTrustStore,
    CustomOriginTrustStoreArgs,
    CustomOriginTrustStoreProvider,
)
from tests.certs import expiring_in, intermediate_ca, leaf, root_ca
from tests.fixtures.emulator import TOKEN, ZONE_ID

ROOT = root_ca("Unit Root")


def configured(base_url: str, **extra: str) -> CustomOriginTrustStoreProvider:
    provider = CustomOriginTrustStoreProvider()
    config = {"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": base_url, **extra}
    provider.configure(ConfigureRequest(Config(config, "unit")))
    return provider


@pytest.fixture
def provider(emulator_server: EmulatorServer) -> Iterator[CustomOriginTrustStoreProvider]:
    configured_provider = configured(emulator_server.base_url)
    yield configured_provider
    configured_provider.close()


def checked(pem: str = ROOT.pem, **extra: Any) -> dict[str, Any]:
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": ZONE_ID, "certificate": pem, **extra}
    )
    assert result.failures == [], result.failures
    return result.inputs


def api_calls(server: EmulatorServer) -> list[str]:
    return [r["method"] for r in server.emulator.requests()]


# -- check ------------------------------------------------------------------------------------


def test_check_normalises_whitespace_line_endings_and_zone_case() -> None:
    messy = "\n   " + "\r\n".join(ROOT.pem.strip().splitlines()) + "\r\n\r\n"
    inputs = checked(messy, zoneId=ZONE_ID.upper())
    assert inputs == {"zoneId": ZONE_ID, "certificate": ROOT.pem}


@pytest.mark.parametrize(
    ("pem", "expected"),
    [
        ("", "certificate is empty"),
        ("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----", "not valid base64"),
        (ROOT.pem + root_ca("Other").pem, "found 2 certificates"),
        (leaf(ROOT).pem, "is not a CA certificate (basicConstraints CA:TRUE is missing)"),
        (intermediate_ca(ROOT).pem, "is not a self-signed root CA: it was issued by 'CN=Unit Root"),
    ],
    ids=["empty", "bad-base64", "bundle", "leaf", "intermediate"],
)
def test_check_refuses_what_cloudflare_refuses_without_echoing_the_input(
    pem: str, expected: str
) -> None:
    result = CustomOriginTrustStoreProvider().check({}, {"zoneId": ZONE_ID, "certificate": pem})
    [failure] = result.failures
    assert failure.property == "", "the engine would print the raw input next to a property"
    assert failure.reason.startswith("certificate")
    assert expected in failure.reason
    assert all(line not in failure.reason for line in pem.splitlines()[1:-1])


def test_check_refuses_private_keys_and_never_repeats_them() -> None:
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": ZONE_ID, "certificate": ROOT.pem + ROOT.key_pem}
    )
    [failure] = result.failures
    assert "private key material" in failure.reason
    assert ROOT.key_pem.splitlines()[1] not in repr(result.__dict__)
    assert result.inputs["certificate"] is None


@pytest.mark.parametrize("zone", ["example.com", "023e105f", "g" * 32, None, 42])
def test_check_refuses_an_invalid_zone_id(zone: object) -> None:
    result = CustomOriginTrustStoreProvider().check({}, {"zoneId": zone, "certificate": ROOT.pem})
    [failure] = result.failures
    assert failure.property == "", "the engine would print the raw input next to a property"
    assert failure.reason.startswith("zoneId must be")
    assert "32-character hexadecimal id" in failure.reason


def test_check_quotes_a_long_zone_id_only_by_its_start() -> None:
    token_like = "Zx9" + "k" * 37  # 40 characters, the shape of an API token
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": token_like, "certificate": ROOT.pem}
    )
    [failure] = result.failures
    assert token_like not in failure.reason
    assert "'Zx9kkk'… (40 characters)" in failure.reason


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("adoptExisting", "yes"),
        ("waitForActive", 1),
        ("activeTimeoutSeconds", 0),
        ("activeTimeoutSeconds", 3601),
        ("activeTimeoutSeconds", 1.5),
    ],
)
def test_check_refuses_bad_options(key: str, value: object) -> None:
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": ZONE_ID, "certificate": ROOT.pem, key: value}
    )
    assert [(f.property, f.reason.split()[0]) for f in result.failures] == [("", key)]


def test_check_passes_unknown_values_through_during_preview() -> None:
    unknown = Unknown()
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": unknown, "certificate": unknown, "waitForActive": unknown}
    )
    assert result.failures == []
    assert result.inputs["zoneId"] is unknown
    assert result.inputs["certificate"] is unknown


# -- diff -------------------------------------------------------------------------------------


def test_diff_ignores_whitespace_and_provider_changes_and_replaces_on_zone_or_certificate() -> None:
    provider = CustomOriginTrustStoreProvider()
    olds = {**checked(), "__provider": "old-pickle", "status": "active"}
    crlf = ROOT.pem.replace("\n", "\r\n") + "  \n"
    same = provider.diff("id", olds, {"zoneId": ZONE_ID, "certificate": crlf, "__provider": "new"})
    assert same.changes is False

    rotated = provider.diff("id", olds, checked(root_ca("Rotated Root").pem))
    assert rotated.changes is True
    assert rotated.replaces == ["certificate"]
    assert rotated.delete_before_replace is False, "create the new entry before deleting the old"

    moved = provider.diff("id", olds, checked(zoneId="9a7806061c88ada191ed06f989cc3dac"))
    assert moved.replaces == ["zoneId"]

    option = provider.diff("id", olds, checked(waitForActive=True))
    assert option.changes is True
    assert option.replaces == []

    defaults = provider.diff("id", olds, checked(waitForActive=False, activeTimeoutSeconds=300))
    assert defaults.changes is False, "explicit defaults are no change"

    unknown = provider.diff("id", olds, {"zoneId": ZONE_ID, "certificate": Unknown()})
    assert unknown.replaces == ["certificate"]


# -- create, read, update, delete ---------------------------------------------------------------


def test_create_is_one_post_and_returns_every_output(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    created = provider.create(checked())
    assert api_calls(emulator_server) == ["POST"]
    outs = created.outs
    assert outs is not None
    assert set(outs) == {
        "zoneId",
        "certificate",
        "expiresOn",
        "issuer",
        "signature",
        "status",
        "uploadedOn",
        "updatedAt",
        "fingerprintSha256",
        "subject",
        "notBefore",
        "notAfter",
        "adopted",
    }
    assert outs["status"] == "active"
    assert outs["subject"] == "CN=Unit Root,O=Example Origin"
    assert outs["notAfter"] == outs["expiresOn"]
    assert outs["adopted"] is False
    assert TOKEN not in repr(outs)


def test_a_duplicate_is_refused_clearly_unless_adopted(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    first = provider.create(checked())
    with pytest.raises(DuplicateEntryError) as refused:
        provider.create(checked())
    assert first.id in str(refused.value)
    assert "adoptExisting: true" in str(refused.value)
    assert "CN=Unit Root" in str(refused.value)

    adopted = provider.create(checked(adoptExisting=True))
    assert adopted.id == first.id
    assert adopted.outs is not None
    assert adopted.outs["adopted"] is True
    assert api_calls(emulator_server) == ["POST", "POST", "GET", "POST", "GET"]


def test_read_refreshes_status_and_reports_out_of_band_deletion_as_gone(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    short = expiring_in(dt.timedelta(days=3))
    created = provider.create(checked(short.pem))
    assert created.outs is not None
    emulator_server.emulator.advance_clock(4 * 86400)
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs is not None
    assert read.outs["status"] == "expired"
    assert read.outs["certificate"] == short.pem

    emulator_server.emulator.store.delete(ZONE_ID, created.id)
    gone = provider.read(created.id, created.outs)
    assert gone.id == ""
    assert gone.outs == {}


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, deletion_delay=60)], indirect=True
)
def test_read_counts_an_entry_being_deleted_as_gone(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    created = provider.create(checked())
    assert created.outs is not None
    emulator_server.emulator.store.delete(ZONE_ID, created.id)
    for _ in range(2):  # pending_deletion, then deleted
        assert provider.read(created.id, created.outs).id == ""
        emulator_server.emulator.advance_clock(31)


def test_update_keeps_every_output_and_calls_nothing(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    created = provider.create(checked())
    assert created.outs is not None
    olds = {**created.outs, "__provider": "pickle"}
    updated = provider.update(created.id, olds, checked(activeTimeoutSeconds=60))
    assert updated.outs == {**created.outs, "activeTimeoutSeconds": 60}
    assert api_calls(emulator_server) == ["POST"]


def test_delete_is_one_call_and_an_entry_already_gone_is_fine(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    created = provider.create(checked())
    assert created.outs is not None
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert api_calls(emulator_server) == ["POST", "DELETE", "DELETE"]
    assert emulator_server.emulator.store.entries() == []


def test_cloudflares_refusal_surfaces_with_its_code(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator_server.emulator.set_acm_enabled(ZONE_ID, False)
    with pytest.raises(AcmNotEnabledError, match="1450"):
        provider.create(checked())
    assert api_calls(emulator_server) == ["POST"], "no listing after an ACM refusal"


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, activation_delay=3600)], indirect=True
)
def test_a_create_that_cannot_wait_long_enough_deletes_what_it_uploaded(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    with pytest.raises(NotActiveError, match="still initializing after 1 s"):
        provider.create(checked(waitForActive=True, activeTimeoutSeconds=1))
    assert emulator_server.emulator.store.entries() == []


# -- configuration and pickling ------------------------------------------------------------------


def test_missing_credentials_fail_on_first_use_with_the_names_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    provider = CustomOriginTrustStoreProvider()
    provider.configure(ConfigureRequest(Config({}, "unit")))
    assert provider.check({}, checked()).failures == [], "check needs no credentials"
    with pytest.raises(ConfigurationError, match="cloudflare:apiToken") as missing:
        provider.delete("0" * 32, {"zoneId": ZONE_ID})
    assert "CLOUDFLARE_API_TOKEN" in str(missing.value)


def test_the_pickled_provider_is_a_bare_class_reference_even_when_configured(
    emulator_server: EmulatorServer,
) -> None:
    fresh = serialize_provider(CustomOriginTrustStoreProvider())
    provider = configured(emulator_server.base_url)
    provider.create(checked())
    again = serialize_provider(provider)
    provider.close()
    assert again == fresh
    raw = base64.b64decode(again)
    assert b"provider.resource" in raw
    assert TOKEN.encode() not in raw
    assert len(raw) < 200


# -- names -----------------------------------------------------------------------------------


def test_python_attributes_carry_the_official_names_in_state() -> None:
    """Args fields become the official inputs; output attributes the official outputs."""
    probe = CustomOriginTrustStore.__new__(CustomOriginTrustStore)
    to_state = probe.translate_input_property
    to_python = probe.translate_output_property
    args = {to_state(f.name) for f in fields(CustomOriginTrustStoreArgs)}
    assert args == {
        "zoneId",
        "certificate",
        "adoptExisting",
        "waitForActive",
        "activeTimeoutSeconds",
    }
    outputs = {to_state(name) for name in CustomOriginTrustStore.__annotations__}
    assert outputs >= {"zoneId", "certificate", "expiresOn", "uploadedOn", "updatedAt"}
    assert outputs >= {"fingerprintSha256", "notBefore", "notAfter", "adopted"}
    assert all(to_python(to_state(name)) == name for name in CustomOriginTrustStore.__annotations__)


class OneEntryClient:
    """Answers every GET with one entry, as Cloudflare might with a status added later."""

    def __init__(self, entry: TrustStoreEntry) -> None:
        self.entry = entry

    def get(self, zone_id: str, entry_id: str) -> TrustStoreEntry:
        return self.entry


def test_read_keeps_an_entry_whose_status_is_new_to_this_client() -> None:
    outs = checked()
    entry = TrustStoreEntry(
        id="e" * 32,
        certificate=ROOT.pem,
        expires_on=ROOT.cert.not_valid_after_utc,
        issuer="Unit Root",
        signature="SHA256WithRSA",
        status="quarantined",
        updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        uploaded_on=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    provider = CustomOriginTrustStoreProvider()
    provider._client_or_error = OneEntryClient(entry)  # type: ignore[assignment]
    read = provider.read(entry.id, outs)
    assert read.id == entry.id, "an unknown status is not 'gone'"
    assert read.outs is not None
    assert read.outs["status"] == "quarantined"
