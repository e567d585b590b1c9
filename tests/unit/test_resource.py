"""The dynamic provider's operations, called as the engine calls them, against a real emulator
server on a loopback socket (no Pulumi CLI; see tests/e2e for that)."""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from emulator import EmulatorConfig
from emulator.server import EmulatorServer
from provider import zone_safety
from provider.client import TrustStoreEntry
from provider.errors import (
    AcmNotEnabledError,
    ApiError,
    ConfigurationError,
    DeletionPendingError,
    DuplicateEntryError,
    EmptyZoneError,
    EntryClaimedError,
    NotActiveError,
)
from provider.properties import WITHHELD_KEY_MATERIAL
from provider.resource import (
    CustomOriginTrustStore,
    CustomOriginTrustStoreArgs,
    CustomOriginTrustStoreProvider,
)
from tests.certs import expiring_in, intermediate_ca, leaf, root_ca
from tests.fixtures.emulator import TOKEN, ZONE_ID

ROOT = root_ca("Unit Root")


@pytest.fixture(autouse=True)
def one_run_per_test() -> Iterator[None]:
    """Each test is one Pulumi run: claims of entries start empty."""
    zone_safety.forget_claims()
    yield
    zone_safety.forget_claims()


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
    # The pack still sees that the input holds a key, not "certificate is missing".
    assert result.inputs["certificate"] == WITHHELD_KEY_MATERIAL


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
        "keyType",
        "adopted",
    }
    assert outs["status"] == "active"
    assert outs["keyType"] == "RSA 2048"
    assert outs["subject"] == "CN=Unit Root,O=Example Origin"
    assert outs["notAfter"] == outs["expiresOn"]
    assert outs["adopted"] is False
    assert TOKEN not in repr(outs)


def test_a_duplicate_is_refused_clearly_unless_adopted(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    first = provider.create(checked())
    # In the same run, the entry is claimed by the resource that created it: never adopted.
    with pytest.raises(EntryClaimedError) as claimed:
        provider.create(checked(adoptExisting=True))
    assert "another resource of this stack manages it" in str(claimed.value)

    zone_safety.forget_claims()  # a later run, in which no kept resource holds the entry
    with pytest.raises(DuplicateEntryError) as refused:
        provider.create(checked())
    assert type(refused.value) is DuplicateEntryError
    assert first.id in str(refused.value)
    assert "pulumi config set adoptExisting true" in str(refused.value)
    assert "CN=Unit Root" in str(refused.value)

    adopted = provider.create(checked(adoptExisting=True))
    assert adopted.id == first.id
    assert adopted.outs is not None
    assert adopted.outs["adopted"] is True
    assert api_calls(emulator_server) == ["POST", "POST", "GET", "POST", "GET", "POST", "GET"]


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
    other = provider.create(checked(root_ca("Other Unit Root").pem))
    assert other.outs is not None
    zone_safety.forget_claims()  # a later run that removes both resources
    emulator_server.emulator.clear_requests()
    provider.delete(created.id, created.outs)
    # Re-listing the zone (under its lock) is the delete's one extra call: the guard's look.
    assert api_calls(emulator_server) == ["GET", "DELETE"]
    provider.delete(created.id, created.outs)
    assert api_calls(emulator_server) == ["GET", "DELETE", "GET"], "gone: nothing to delete"
    assert [e.id for e in emulator_server.emulator.store.entries()] == [other.id]


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
        "allowEmptyZone",
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


# -- zone safety: the empty-zone guard, the successor wait, claims, pending deletion ----------


def test_deleting_the_last_usable_ca_is_refused_unless_the_stack_opts_in(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    created = provider.create(checked())
    assert created.outs is not None
    zone_safety.forget_claims()
    with pytest.raises(EmptyZoneError) as refused:
        provider.delete(created.id, created.outs)
    fingerprint = created.outs["fingerprintSha256"]
    short_fingerprint = f"{fingerprint[:4]}…{fingerprint[-4:]}"
    assert str(refused.value) == (
        f"Refusing to delete trust store entry {created.id} (CA 'CN=Unit Root,O=Example Origin'"
        f" (SHA-256 {short_fingerprint}))"
        f" from zone {ZONE_ID}: it is the zone's last usable CA. With an empty store Cloudflare"
        " falls back to its public CAs: an outage for every origin whose certificate comes from"
        " a private CA. Nothing was deleted. If this is a mistake (a removed file, a wrong"
        " zoneId), put the CA back in the program and run `pulumi up`. If the zone really must"
        " be left without a CA, run `pulumi config set allowEmptyZone true`, then `pulumi up`"
        " (which stores the setting with the stack), then this command again."
    )
    assert len(emulator_server.emulator.store.entries()) == 1
    # The advice, followed: the stack config (as the engine hands it over) opts in.
    opted_in = configured(emulator_server.base_url, **{"unit:allowEmptyZone": "true"})
    opted_in.delete(created.id, created.outs)
    assert emulator_server.emulator.store.entries() == []
    opted_in.close()


def test_the_resource_input_opts_in_and_an_expired_entry_never_counts(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    short = provider.create(checked(expiring_in(dt.timedelta(days=5), "Short Root").pem))
    keeper = provider.create(checked(allowEmptyZone=True))
    assert short.outs is not None
    assert keeper.outs is not None
    emulator_server.emulator.advance_clock(6 * 86400)  # the short one is now `expired`
    zone_safety.forget_claims()
    with pytest.raises(EmptyZoneError):
        provider.delete(keeper.id, {**keeper.outs, "allowEmptyZone": False})
    provider.delete(keeper.id, keeper.outs)  # its own allowEmptyZone input opts in
    assert [e.id for e in emulator_server.emulator.store.entries()] == [short.id]
    provider.delete(short.id, short.outs)  # deleting an expired entry takes nothing usable
    assert emulator_server.emulator.store.entries() == []


def test_parallel_deletes_of_a_zones_entries_never_empty_it(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    made = [provider.create(checked(root_ca(f"Parallel {i}").pem)) for i in range(4)]
    zone_safety.forget_claims()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(provider.delete, m.id, m.outs) for m in made]
    outcomes = [f.exception() for f in futures]
    assert sum(isinstance(o, EmptyZoneError) for o in outcomes) == 1, outcomes
    assert sum(o is None for o in outcomes) == 3, outcomes
    assert len(emulator_server.emulator.store.entries()) == 1


def test_a_kept_resource_claims_its_entry_so_another_delete_leaves_it(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    first = provider.create(checked())
    spare = provider.create(checked(root_ca("Spare").pem))
    assert first.outs is not None
    assert spare.outs is not None
    zone_safety.forget_claims()
    # A later run: the resource that adopted the entry is kept (diffed without replacement),
    # the resource that created it is removed from the program.
    adopter = provider.diff(first.id, first.outs, checked())
    assert not adopter.replaces
    emulator_server.emulator.clear_requests()
    provider.delete(first.id, first.outs)
    assert api_calls(emulator_server) == [], "a claimed entry is handed over, not deleted"
    assert len(emulator_server.emulator.store.entries()) == 2


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(token=TOKEN, activation_delay=1.0)], indirect=True
)
def test_the_last_active_ca_is_deleted_only_once_its_successor_is_active(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator = emulator_server.emulator
    old = provider.create(checked(root_ca("Old").pem))
    assert old.outs is not None
    emulator.advance_clock(2)
    zone_safety.forget_claims()  # the old entry was created by an earlier run
    new = provider.create(checked(root_ca("New").pem))
    assert new.outs is not None
    assert new.outs["status"] == "initializing"
    started = time.monotonic()
    provider.delete(old.id, old.outs)
    assert time.monotonic() - started >= 0.5, "the delete waited for the successor"
    [left] = emulator.store.entries()
    assert left.id == new.id


def test_a_timed_out_successor_wait_keeps_the_old_entry(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator = emulator_server.emulator
    old = provider.create(checked(root_ca("Old").pem, activeTimeoutSeconds=1))
    assert old.outs is not None
    emulator.store.activation_delay = 3600.0
    zone_safety.forget_claims()  # the old entry was created by an earlier run
    new = provider.create(checked(root_ca("New").pem))
    with pytest.raises(NotActiveError) as kept:
        provider.delete(old.id, old.outs)
    assert str(kept.value).startswith(
        f"Kept trust store entry {old.id} in zone {ZONE_ID}: it is the zone's last active CA"
        f" and its successor {new.id} (initializing) did not become active within 1 s"
    )
    assert len(emulator.store.entries()) == 2
    # The advice, followed: once the successor is active, the next run deletes the old one.
    emulator.advance_clock(3600)
    provider.delete(old.id, old.outs)
    assert [e.id for e in emulator.store.entries()] == [new.id]


def test_re_uploading_a_ca_whose_old_entry_is_pending_deletion_waits_then_uploads(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator = emulator_server.emulator
    emulator.store.deletion_delay = 1.0
    keeper = provider.create(checked(root_ca("Keeper").pem))
    first = provider.create(checked())
    assert first.outs is not None
    assert keeper.outs is not None
    zone_safety.forget_claims()
    provider.delete(first.id, first.outs)  # pending_deletion for 0.5 s, then deleted
    # Cloudflare is reported to answer 409 while the old entry is pending deletion.
    emulator.add_fault("error", status=409, count=1, method="POST")
    again = provider.create(checked())
    assert again.id != first.id
    assert {e.id for e in emulator.store.entries() if e.deletion_requested_at is None} == {
        keeper.id,
        again.id,
    }


def test_a_deletion_that_outlasts_the_wait_fails_clearly_and_the_next_run_converges(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator = emulator_server.emulator
    emulator.store.deletion_delay = 3600.0
    keeper = provider.create(checked(root_ca("Keeper").pem))
    first = provider.create(checked(activeTimeoutSeconds=1))
    assert first.outs is not None
    assert keeper.outs is not None
    zone_safety.forget_claims()
    provider.delete(first.id, first.outs)
    emulator.add_fault("error", status=409, count=2, method="POST")
    with pytest.raises(DeletionPendingError) as pending:
        provider.create(checked(activeTimeoutSeconds=1))
    assert str(pending.value).endswith(
        "and Cloudflare refuses to upload the same CA again until that deletion completes;"
        " waited 1 s (activeTimeoutSeconds). Nothing was uploaded. Run `pulumi up` again in a"
        " few minutes."
    )
    # The advice, followed: once the deletion completed, the upload goes through.
    emulator.advance_clock(3600)
    again = provider.create(checked())
    assert again.id != first.id


def test_a_409_whose_old_entry_is_already_gone_is_retried_once(
    provider: CustomOriginTrustStoreProvider, emulator_server: EmulatorServer
) -> None:
    emulator = emulator_server.emulator
    emulator.add_fault("error", status=409, count=1, method="POST")
    created = provider.create(checked())
    assert [r["method"] for r in emulator.requests()] == ["POST", "GET", "POST"]
    assert [e.id for e in emulator.store.entries()] == [created.id]
    # Any other refusal is final: no second upload.
    emulator.clear_requests()
    emulator.add_fault("error", status=400, count=1, method="POST")
    with pytest.raises(ApiError):
        provider.create(checked(root_ca("Refused Root").pem))
    assert [r["method"] for r in emulator.requests()] == ["POST", "GET"]
