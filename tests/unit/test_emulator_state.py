"""The emulator's rules, straight on emulator.state.Store with an injected frozen clock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from emulator import errors
from emulator.certificates import issuer_label
from emulator.clock import FrozenClock
from emulator.state import Store
from provider.entries import ENTRY_FIELD_NAMES
from scripts.certs import NOW, CertSpec, build, ec_key, ed25519_key, expiring_in, root_ca
from tests.common import ZONE_ID

OTHER = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def make(clock: FrozenClock, **kwargs: object) -> Store:
    return Store(clock=clock, **kwargs)  # type: ignore[arg-type]


def code_of(exc: pytest.ExceptionInfo[errors.ApiError]) -> tuple[int, int]:
    return exc.value.status, exc.value.code


# -- upload ---------------------------------------------------------------------------------


def test_upload_returns_all_eight_fields(clock: FrozenClock) -> None:
    ca = root_ca()
    entry = make(clock).upload(ZONE_ID, ca.pem)
    assert set(entry) == set(ENTRY_FIELD_NAMES)  # every field the client reads
    assert re.fullmatch(r"[0-9a-f]{32}", entry["id"])
    assert entry["certificate"] == ca.pem
    assert entry["expires_on"] == (NOW + dt.timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry["uploaded_on"] == entry["updated_at"] == "2026-11-29T12:00:00Z"
    assert entry["status"] == "active"
    assert entry["issuer"] == "Example Origin"
    assert entry["signature"] == "SHA256WithRSA"


def test_ids_are_unique(clock: FrozenClock) -> None:
    store = make(clock)
    ids = {store.upload(ZONE_ID, root_ca(f"Root {i}").pem)["id"] for i in range(10)}
    assert len(ids) == 10


@pytest.mark.parametrize(
    "raw",
    [
        lambda pem: pem.rstrip("\n"),
        lambda pem: pem + "\n\n\n",
        lambda pem: "\n  " + pem + "  \n",
        lambda pem: pem,
    ],
)
def test_certificate_is_stored_with_exactly_one_trailing_newline(clock: FrozenClock, raw) -> None:  # type: ignore[no-untyped-def]
    ca = root_ca()
    stored = make(clock).upload(ZONE_ID, raw(ca.pem))["certificate"]
    assert stored == ca.pem
    assert stored.endswith("-----END CERTIFICATE-----\n")


@pytest.mark.parametrize(
    ("spec", "signature"),
    [
        (CertSpec(), "SHA256WithRSA"),
        (CertSpec(hash_algorithm=hashes.SHA384()), "SHA384WithRSA"),
        (CertSpec(hash_algorithm=hashes.SHA512()), "SHA512WithRSA"),
        (CertSpec(key=ec_key("secp256r1")), "ECDSAWithSHA256"),
        (CertSpec(key=ec_key("secp384r1"), hash_algorithm=hashes.SHA384()), "ECDSAWithSHA384"),
        (CertSpec(key=ed25519_key()), "PureEd25519"),
    ],
)
def test_signature_algorithm_names(clock: FrozenClock, spec: CertSpec, signature: str) -> None:
    assert make(clock).upload(ZONE_ID, build(spec).pem)["signature"] == signature


def test_issuer_is_the_organisation_else_the_common_name(clock: FrozenClock) -> None:
    assert make(clock).upload(ZONE_ID, root_ca().pem)["issuer"] == "Example Origin"
    cert = root_ca().cert
    assert issuer_label(cert) == "Example Origin"
    only_cn = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bare Root")])
    bare = (
        x509.CertificateBuilder()
        .subject_name(only_cn)
        .issuer_name(only_cn)
        .public_key(ec_key().public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ec_key(), hashes.SHA256())
    )
    assert issuer_label(bare) == "Bare Root"


def test_duplicate_rules(clock: FrozenClock) -> None:
    store = make(clock, deletion_delay=10)
    pem = root_ca().pem
    first = store.upload(ZONE_ID, pem)
    with pytest.raises(errors.ApiError) as dup:
        store.upload(ZONE_ID, pem)
    assert code_of(dup) == (400, 1220)
    assert first["id"] in str(dup.value.errors())
    # Another zone may hold the same CA.
    store.upload(OTHER, pem)
    # Once the first copy is being deleted, the same CA may be uploaded again.
    store.delete(ZONE_ID, first["id"])
    again = store.upload(ZONE_ID, pem)
    assert again["id"] != first["id"]


def test_expired_upload_is_refused_at_the_boundary(clock: FrozenClock) -> None:
    store = make(clock)
    at_now = expiring_in(dt.timedelta(0))
    with pytest.raises(errors.ApiError) as exc:
        store.upload(ZONE_ID, at_now.pem)
    assert code_of(exc) == (400, 1417)
    one_second_left = expiring_in(dt.timedelta(seconds=1), common_name="Almost Expired Root")
    assert store.upload(ZONE_ID, one_second_left.pem)["status"] == "active"


# -- status over time -----------------------------------------------------------------------


def test_activation_progression(clock: FrozenClock) -> None:
    store = make(clock, activation_delay=10)
    entry = store.upload(ZONE_ID, root_ca().pem)
    assert entry["status"] == "initializing"
    steps = [
        (4.999, "initializing", "2026-11-29T12:00:00Z"),
        (0.001, "pending_deployment", "2026-11-29T12:00:05Z"),
        (4.999, "pending_deployment", "2026-11-29T12:00:05Z"),
        (0.001, "active", "2026-11-29T12:00:10Z"),
        (1000, "active", "2026-11-29T12:00:10Z"),
    ]
    for seconds, status, updated in steps:
        clock.advance(seconds)
        got = store.get(ZONE_ID, entry["id"])
        assert (got["status"], got["updated_at"]) == (status, updated), seconds
        assert got["uploaded_on"] == "2026-11-29T12:00:00Z"


def test_expiry_by_the_clock(clock: FrozenClock) -> None:
    store = make(clock)
    ca = expiring_in(dt.timedelta(days=2))
    entry = store.upload(ZONE_ID, ca.pem)
    clock.set(NOW + dt.timedelta(days=2) - dt.timedelta(seconds=1))
    assert store.get(ZONE_ID, entry["id"])["status"] == "active"
    clock.set(NOW + dt.timedelta(days=2))
    got = store.get(ZONE_ID, entry["id"])
    assert got["status"] == "expired"
    assert got["updated_at"] == got["expires_on"] == "2026-12-01T12:00:00Z"
    # Expired entries are still listed and can be deleted.
    assert [e["id"] for e in store.list_page(ZONE_ID).items] == [entry["id"]]
    assert store.delete(ZONE_ID, entry["id"]) == {"id": entry["id"]}


def test_immediate_deletion(clock: FrozenClock) -> None:
    store = make(clock)
    entry = store.upload(ZONE_ID, root_ca().pem)
    assert store.delete(ZONE_ID, entry["id"]) == {"id": entry["id"]}
    with pytest.raises(errors.ApiError) as exc:
        store.get(ZONE_ID, entry["id"])
    assert code_of(exc) == (404, 1419)
    with pytest.raises(errors.ApiError):
        store.delete(ZONE_ID, entry["id"])


def test_asynchronous_deletion(clock: FrozenClock) -> None:
    store = make(clock, deletion_delay=60)
    entry = store.upload(ZONE_ID, root_ca().pem)
    assert store.delete(ZONE_ID, entry["id"]) == {"id": entry["id"]}
    got = store.get(ZONE_ID, entry["id"])
    assert (got["status"], got["updated_at"]) == ("pending_deletion", "2026-11-29T12:00:00Z")
    # Deleting again while it is going away answers the same success (idempotent).
    assert store.delete(ZONE_ID, entry["id"]) == {"id": entry["id"]}
    clock.advance(30)
    got = store.get(ZONE_ID, entry["id"])
    assert (got["status"], got["updated_at"]) == ("deleted", "2026-11-29T12:00:30Z")
    assert [e["status"] for e in store.list_page(ZONE_ID).items] == ["deleted"]
    clock.advance(29.999)
    assert store.get(ZONE_ID, entry["id"])["status"] == "deleted"
    clock.advance(0.001)
    with pytest.raises(errors.ApiError) as exc:
        store.get(ZONE_ID, entry["id"])
    assert code_of(exc) == (404, 1419)
    assert store.list_page(ZONE_ID).items == []


def test_deletion_of_an_entry_still_initializing(clock: FrozenClock) -> None:
    store = make(clock, activation_delay=100, deletion_delay=10)
    entry = store.upload(ZONE_ID, root_ca().pem)
    store.delete(ZONE_ID, entry["id"])
    assert store.get(ZONE_ID, entry["id"])["status"] == "pending_deletion"


# -- pagination -----------------------------------------------------------------------------


@pytest.fixture
def seven(clock: FrozenClock) -> tuple[Store, list[str]]:
    store = make(clock)
    ids = [store.upload(ZONE_ID, root_ca(f"Root {i}").pem)["id"] for i in range(7)]
    store.upload(OTHER, root_ca("Other zone").pem)
    return store, ids


def test_list_defaults(seven: tuple[Store, list[str]]) -> None:
    store, ids = seven
    page = store.list_page(ZONE_ID)
    assert [e["id"] for e in page.items] == ids
    assert page.result_info() == {"count": 7, "page": 1, "per_page": 20, "total_count": 7}


def test_pages(seven: tuple[Store, list[str]]) -> None:
    store, ids = seven
    first = store.list_page(ZONE_ID, page=1, per_page=5)
    second = store.list_page(ZONE_ID, page=2, per_page=5)
    beyond = store.list_page(ZONE_ID, page=3, per_page=5)
    assert [e["id"] for e in first.items + second.items] == ids
    assert second.result_info() == {"count": 2, "page": 2, "per_page": 5, "total_count": 7}
    assert beyond.items == []
    assert beyond.result_info() == {"count": 0, "page": 3, "per_page": 5, "total_count": 7}


@pytest.mark.parametrize(("per_page", "ok"), [(4, False), (5, True), (50, True), (51, False)])
def test_per_page_bounds(seven: tuple[Store, list[str]], per_page: int, ok: bool) -> None:
    store, _ = seven
    if ok:
        assert store.list_page(ZONE_ID, per_page=per_page).per_page == per_page
    else:
        with pytest.raises(errors.ApiError) as exc:
            store.list_page(ZONE_ID, per_page=per_page)
        assert code_of(exc) == (400, 1420)


def test_page_must_be_positive(seven: tuple[Store, list[str]]) -> None:
    store, _ = seven
    with pytest.raises(errors.ApiError) as exc:
        store.list_page(ZONE_ID, page=0)
    assert code_of(exc) == (400, 1420)


@pytest.mark.parametrize(
    ("offset", "limit", "expected", "total"),
    [
        (2, None, slice(2, 7), 5),
        (None, 3, slice(0, 3), 3),
        (1, 2, slice(1, 3), 2),
        (10, None, slice(0, 0), 0),
        (0, 0, slice(0, 0), 0),
    ],
)
def test_offset_and_limit(
    seven: tuple[Store, list[str]],
    offset: int | None,
    limit: int | None,
    expected: slice,
    total: int,
) -> None:
    store, ids = seven
    page = store.list_page(ZONE_ID, offset=offset, limit=limit)
    assert [e["id"] for e in page.items] == ids[expected]
    assert page.total_count == total


def test_offset_then_pages(seven: tuple[Store, list[str]]) -> None:
    store, ids = seven
    page = store.list_page(ZONE_ID, offset=1, page=2, per_page=5)
    assert [e["id"] for e in page.items] == ids[6:7]


# -- zones ----------------------------------------------------------------------------------


def test_acm_switch_is_per_zone(clock: FrozenClock) -> None:
    store = make(clock)
    store.set_acm_enabled(ZONE_ID, False)
    for call in (
        lambda: store.list_page(ZONE_ID),
        lambda: store.upload(ZONE_ID, root_ca().pem),
        lambda: store.get(ZONE_ID, "a" * 32),
        lambda: store.delete(ZONE_ID, "a" * 32),
    ):
        with pytest.raises(errors.ApiError) as exc:
            call()
        assert code_of(exc) == (400, 1450)
    assert store.list_page(OTHER).items == []


# -- persistence ----------------------------------------------------------------------------


def test_persistence_across_reopen(clock: FrozenClock, tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite")
    store = make(clock, db_path=db, deletion_delay=60)
    kept = store.upload(ZONE_ID, root_ca("Kept").pem)
    going = store.upload(ZONE_ID, root_ca("Going").pem)
    gone = store.upload(ZONE_ID, root_ca("Gone").pem)
    store.delete(ZONE_ID, going["id"])
    store.set_acm_enabled(OTHER, False)
    store.close()

    reopened = make(clock, db_path=db, deletion_delay=0)
    assert reopened.get(ZONE_ID, kept["id"]) == kept
    assert reopened.get(ZONE_ID, going["id"])["status"] == "pending_deletion"
    assert reopened.get(ZONE_ID, gone["id"]) == gone
    assert not reopened.acm_enabled(OTHER)
    # New uploads continue the order after the old ones.
    newer = reopened.upload(ZONE_ID, root_ca("Newer").pem)
    assert [e["id"] for e in reopened.list_page(ZONE_ID).items] == [
        kept["id"],
        going["id"],
        gone["id"],
        newer["id"],
    ]
    # A pending deletion completes on schedule after the restart, and is persisted.
    clock.advance(60)
    assert [e["id"] for e in reopened.list_page(ZONE_ID).items] == [
        kept["id"],
        gone["id"],
        newer["id"],
    ]
    reopened.close()
    third = make(clock, db_path=db)
    assert len(third.list_page(ZONE_ID).items) == 3
    third.reset()
    third.close()
    assert make(clock, db_path=db).list_page(ZONE_ID).items == []


def test_failed_database_write_leaves_memory_unchanged(clock: FrozenClock, tmp_path: Path) -> None:
    store = make(clock, db_path=str(tmp_path / "state.sqlite"))
    store.upload(ZONE_ID, root_ca("Before").pem)
    assert store._db is not None
    store._db._conn.execute("DROP TABLE entries")
    with pytest.raises(Exception, match="no such table"):
        store.upload(ZONE_ID, root_ca("After").pem)
    assert len(store.list_page(ZONE_ID).items) == 1
    store.close()
