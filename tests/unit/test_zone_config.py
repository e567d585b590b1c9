"""The stack config's zone forms: what each means, and a clear refusal naming the key for
everything else (provider.zone_config), plus the zone-level outputs (provider.zone_component)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from provider.zone_component import component_name, zone_summary
from provider.zone_config import (
    CaSource,
    ProgramConfigError,
    StackZones,
    ZoneSpec,
    parse_stack_zones,
)

ZONE_A = "023e105f4ecef8ad9ca31a8372d0c353"
ZONE_B = "9a7806061c88ada191ed06f989cc3dac"
SHARED = CaSource((), "cas", key="certificates/certificatesDir")


def test_the_single_zone_form_is_unchanged_and_keeps_the_id_as_written() -> None:
    parsed = parse_stack_zones({"zoneId": "example.com", "certificatesDir": "cas"})
    # The entries' check refuses a bad id, naming the resource, as it always has.
    assert parsed == StackZones((ZoneSpec("example.com", SHARED),), single=True)


def test_a_map_gives_each_zone_its_files_and_an_empty_value_means_the_shared_set() -> None:
    parsed = parse_stack_zones(
        {
            "certificatesDir": "cas",
            "zones": {
                ZONE_A.upper(): {"certificates": ["a.pem", "b.pem"]},
                ZONE_B: {},
            },
        }
    )
    assert parsed.single is False
    assert parsed.zones == (
        ZoneSpec(ZONE_A, CaSource(("a.pem", "b.pem"), None, key=f"zones.{ZONE_A.upper()}")),
        ZoneSpec(ZONE_B, SHARED),
    )


def test_a_zone_set_from_the_cli_may_be_a_folder_alone_or_empty_for_the_shared_set() -> None:
    parsed = parse_stack_zones({"certificatesDir": "cas", "zones": {ZONE_A: "cas/a", ZONE_B: ""}})
    assert parsed.zones == (
        ZoneSpec(ZONE_A, CaSource((), "cas/a", key=f"zones.{ZONE_A}")),
        ZoneSpec(ZONE_B, SHARED),
    )


def test_a_list_of_zones_shares_the_top_level_folder() -> None:
    parsed = parse_stack_zones({"certificatesDir": "cas", "zones": [ZONE_A, ZONE_B]})
    assert parsed.zones == (ZoneSpec(ZONE_A, SHARED), ZoneSpec(ZONE_B, SHARED))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "No zone configured: `pulumi config set zoneId <zone id>`"),
        ({"zoneId": ZONE_A}, "No CA certificates configured"),
        (
            {"zoneId": ZONE_A, "zones": [ZONE_B], "certificatesDir": "cas"},
            "Stack config sets both zoneId and zones: use one.",
        ),
        ({"zones": [ZONE_A]}, "Stack config zones is a list of zone ids, which all get the"),
        (
            {"zones": {ZONE_A: {}}},
            f"Stack config zones.{ZONE_A} names no CA files and there is no shared set",
        ),
        (
            {"zones": {ZONE_A: {"certificatesDir": "cas", "certificate": "x.pem"}}},
            f"Stack config zones.{ZONE_A} has unknown key(s) certificate",
        ),
        (
            {"zones": {ZONE_A: {"certificates": "a.pem"}}},
            f"Stack config zones.{ZONE_A}.certificates must be a list of PEM file paths",
        ),
        (
            {"zones": {ZONE_A: {"certificatesDir": ["cas"]}}},
            f"Stack config zones.{ZONE_A}.certificatesDir must be a folder path",
        ),
        (
            {"zones": {ZONE_A: 5}},
            f"Stack config zones.{ZONE_A} must be a folder path, or a map with",
        ),
        (
            {"zones": {"example.com": {"certificatesDir": "cas"}}},
            "Stack config zones.example.com: a zone id must be the zone's 32-character",
        ),
        (
            {"certificatesDir": "cas", "zones": [ZONE_A, "nope"]},
            "Stack config zones[1]: a zone id must be the zone's 32-character",
        ),
        (
            {"certificatesDir": "cas", "zones": [ZONE_A, ZONE_A.upper()]},
            f"Stack config zones names zone {ZONE_A} twice (entries 0 and 1",
        ),
        ({"zones": "023e"}, "Stack config zones must be a map from zone id to its CA files"),
        (
            {"certificatesDir": "cas", "zones": [ZONE_A, ZONE_A[:12] + "0" * 20]},
            f"zones {ZONE_A} and {ZONE_A[:12]}{'0' * 20} share their first 12 characters",
        ),
    ],
)
def test_every_malformed_config_is_refused_naming_the_key(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProgramConfigError) as refused:
        parse_stack_zones(config)
    assert message in str(refused.value)


def test_the_advice_to_move_from_zone_id_to_zones_leads_to_a_valid_config() -> None:
    with pytest.raises(ProgramConfigError, match="`pulumi config rm zoneId`"):
        parse_stack_zones({"zoneId": ZONE_A, "zones": {ZONE_A: {}}, "certificatesDir": "cas"})
    followed = parse_stack_zones({"zones": {ZONE_A: {}}, "certificatesDir": "cas"})
    assert followed.zones == (ZoneSpec(ZONE_A, SHARED),)


def test_component_names_depend_on_the_zone_alone() -> None:
    assert component_name(ZONE_A.upper()) == f"zone-{ZONE_A}"


NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def test_zone_summary_counts_usable_entries_and_finds_the_earliest_expiry() -> None:
    entries = [
        {"status": "active", "expiresOn": "2027-01-01T00:00:00Z"},
        {"status": "pending_deployment", "expiresOn": "2026-09-01T00:00:00Z"},
        {"status": "expired", "expiresOn": "2026-05-01T00:00:00Z"},
        {"status": "active", "expiresOn": "2026-05-31T23:59:59Z"},  # past: not usable
    ]
    assert zone_summary(entries, NOW) == {
        "usableCount": 2,
        "earliestExpiry": "2026-05-01T00:00:00Z",
    }
    assert zone_summary([], NOW) == {"usableCount": 0, "earliestExpiry": None}
