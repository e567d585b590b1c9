"""``audit --origin ZONE=HOST[:PORT][@SNI]``: the chain a live origin presents, judged against the
CAs its zone serves now. Real TLS servers on loopback, stores in the in-process emulator.

This is the check a stack policy cannot make: it sees the anchoring CA deleted by hand or by
another stack, and an origin reissued from a CA the zone does not hold.
"""

from __future__ import annotations

import json

import pytest

from emulator import Emulator
from provider.client import TrustStoreClient
from tests.certs import origin_intermediate, origin_leaf, origin_root
from tests.origin_servers import Served, plain_server, tls_server
from tests.unit.test_audit import (  # the audit tests' token and client on the emulator
    OTHER,
    ZONE,
    audit,
    client,
    emulator_config,
    healthy_zone,
)

__all__ = ["client", "emulator_config"]  # fixtures, used by name

HOST = "origin.example.com"
CORP_2024 = origin_root("Corp Root 2024")
ISSUING = origin_intermediate(CORP_2024)
LEAF = origin_leaf(ISSUING, HOST)


def origin_findings(document: dict[str, object]) -> list[dict[str, object]]:
    findings = document["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["policy"] == "origin-ca-covers-origins"]


def test_an_origin_anchored_by_a_live_ca_is_healthy(client: TrustStoreClient) -> None:
    client.upload(ZONE, CORP_2024.pem)
    with tls_server(Served(LEAF, (ISSUING,))) as port:
        outcome = audit(client, "--origin", f"{ZONE}=127.0.0.1:{port}@{HOST}", "--json")
    assert outcome.status == 0, outcome.stdout + outcome.stderr
    assert origin_findings(outcome.json()) == []


def test_an_anchor_deleted_out_of_band_is_found_and_the_advice_fixes_it(
    client: TrustStoreClient,
) -> None:
    healthy_zone(client)  # the zone keeps another CA, so the store itself looks fine
    with tls_server(Served(LEAF, (ISSUING,))) as port:
        origin = f"{ZONE}=127.0.0.1:{port}@{HOST}"
        outcome = audit(client, "--origin", origin, "--json")
        assert outcome.status == 1
        (finding,) = origin_findings(outcome.json())
        assert finding["level"] == "mandatory"
        assert finding["zoneId"] == ZONE
        message = str(finding["message"])
        assert f"127.0.0.1:{port}" in message
        assert "upload 'CN=Corp Root 2024,O=Example Origin'" in message
        assert "'CN=Healthy Root" in message  # the CA it could be reissued from

        client.upload(ZONE, CORP_2024.pem)  # the advice, followed literally
        assert audit(client, "--origin", origin).status == 0


def test_audit_itself_sends_only_gets(client: TrustStoreClient, emulator: Emulator) -> None:
    client.upload(ZONE, CORP_2024.pem)
    emulator.clear_requests()
    with tls_server(Served(LEAF, (ISSUING,))) as port:
        audit(client, "--origin", f"{ZONE}=127.0.0.1:{port}@{HOST}")
    assert {r["method"] for r in emulator.requests()} == {"GET"}


def test_a_zone_without_cas_is_judged_against_public_roots(client: TrustStoreClient) -> None:
    with tls_server(Served(LEAF, (ISSUING,))) as port:
        outcome = audit(client, "--origin", f"{OTHER}=127.0.0.1:{port}@{HOST}", "--json")
    assert outcome.status == 1
    (finding,) = origin_findings(outcome.json())
    assert "public roots" in str(finding["message"])


def test_an_anchor_running_out_says_the_safe_rotation_order(client: TrustStoreClient) -> None:
    import datetime as dt

    from tests.certs import NOW

    short = origin_root("Corp Root Short", not_after=NOW + dt.timedelta(days=10))
    leaf = origin_leaf(short, HOST)
    client.upload(ZONE, short.pem)
    with tls_server(Served(leaf)) as port:
        outcome = audit(client, "--origin", f"{ZONE}=127.0.0.1:{port}@{HOST}", "--json")
    (finding,) = origin_findings(outcome.json())
    message = str(finding["message"])
    assert "anchored by 'CN=Corp Root Short" in message
    assert "add the new CA to the zone, reissue the origin's certificate" in message


def test_the_sni_name_picks_the_chain_and_the_name_checked(client: TrustStoreClient) -> None:
    other_root = origin_root("Other Root")
    api_leaf = origin_leaf(other_root, "api.example.com")
    client.upload(ZONE, CORP_2024.pem)
    with tls_server(Served(LEAF, (ISSUING,)), {"api.example.com": Served(api_leaf)}) as port:
        shop = audit(client, "--origin", f"{ZONE}=127.0.0.1:{port}@{HOST}", "--json")
        api = audit(client, "--origin", f"{ZONE}=127.0.0.1:{port}@api.example.com", "--json")
    assert shop.status == 0
    assert api.status == 1
    (finding,) = origin_findings(api.json())
    assert "upload 'CN=Other Root" in str(finding["message"])


def test_an_origin_that_cannot_be_probed_is_an_error_and_other_zones_are_still_reported(
    client: TrustStoreClient,
) -> None:
    healthy_zone(client)
    with plain_server() as port:
        outcome = audit(client, "--zone", ZONE, "--origin", f"{OTHER}=127.0.0.1:{port}", "--json")
    assert outcome.status == 2
    assert f"origin 127.0.0.1:{port}" in outcome.stderr
    assert "does not speak TLS" in outcome.stderr
    document = outcome.json()
    assert {z["id"] for z in document["zones"]} == {ZONE, OTHER}  # type: ignore[union-attr,index]
    assert json.dumps(document["errors"]).count("127.0.0.1") == 1


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("origin.example.com", "write it as ZONE=HOST[:PORT][@SNI]"),
        ("nothex=origin.example.com", "--origin's zone"),
        (f"{ZONE}=origin.example.com:99999", "port must be a number"),
        (f"{ZONE}=origin.example.com@", "no SNI name after '@'"),
    ],
)
def test_a_malformed_origin_is_a_usage_error(
    client: TrustStoreClient, emulator: Emulator, value: str, said: str
) -> None:
    outcome = audit(client, "--origin", value)
    assert outcome.status == 2
    assert said in outcome.stderr
    assert emulator.requests() == []
