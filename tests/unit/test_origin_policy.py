"""origin-ca-covers-origins: what each zone keeps after the deployment, judged per origin.

A deployment is refused only for what it changes: an origin the zone already fails to anchor,
in a zone the deployment leaves alone, is reported (a note), never refused. Each refusal's advice
is followed literally and the result passes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from policies.trust_rules.catalog import SPECS_BY_NAME, STACK_POLICIES
from policies.trust_rules.certificates import facts_from_text
from policies.trust_rules.errors import PolicyConfigError
from policies.trust_rules.origin_rules import OriginReport, load_chain, origins_covered
from policies.trust_rules.outcomes import Place
from policies.trust_rules.zone_rules import KnownEntry
from tests.certs import NOW, Issued, chain_pem, origin_intermediate, origin_leaf, origin_root
from tests.origin_servers import Served, tls_server
from tests.unit.test_check_cli import NOW_ARG, ZONE, check

HOST = "origin.example.com"
DAY = dt.timedelta(days=1)
OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac"
PUBLIC = origin_root("Public Root R1")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check's cache goes to the test's folder, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def entry(ca: Issued, *, deployed: bool, zone_id: str = ZONE) -> KnownEntry:
    name = ca.cert.subject.rfc4514_string()
    return KnownEntry(Place(name, zone_id, urn=name), facts_from_text(ca.pem), deployed=deployed)


def judge(chain: str, entries: Sequence[KnownEntry], pending: Sequence[Place] = ()) -> OriginReport:
    origins = [{"zoneId": ZONE, "hostname": HOST, "chain": chain}]
    return origins_covered(
        entries,
        pending,
        origins,
        now=NOW,
        min_days_remaining=30,
        public_roots=lambda: [PUBLIC.cert],
        base=Path("."),
    )


def served(root: Issued) -> str:
    """The chain a real TLS server presents for HOST, leaf via an intermediate of ``root``."""
    from policies.commands.probe import chain_pem as to_pem
    from policies.origin_probe import fetch_chain

    issuing = origin_intermediate(root)
    with tls_server(Served(origin_leaf(issuing), (issuing,))) as port:
        return to_pem(fetch_chain("127.0.0.1", port, HOST, 5))


def only_message(report: OriginReport) -> str:
    """The one refusal."""
    (violation,) = report.violations
    assert violation.refusable
    return violation.message


def test_first_private_upload_while_the_origin_serves_a_public_chain_is_refused() -> None:
    public_chain = served(PUBLIC)
    private = origin_root("Corp Root 2024")
    message = only_message(judge(public_chain, [entry(private, deployed=False)]))
    assert f"origin {HOST} in zone 023e…c353 would not be authenticated" in message
    assert "Anchoring CA before: public root 'CN=Public Root R1,O=Example Origin'" in message
    assert "after: none" in message
    assert "the zone holds only uploaded CAs, and Cloudflare then trusts nothing else" in message
    # The advice, followed: upload the CA that issued the chain in the same deployment.
    fixed = [entry(private, deployed=False), entry(PUBLIC, deployed=False)]
    assert judge(public_chain, fixed).violations == ()


def test_rotation_to_a_new_root_before_the_reissue_is_refused_and_after_it_passes() -> None:
    old, new = origin_root("Corp Root 2024"), origin_root("Corp Root 2027")
    serving_old = served(old)
    # The old entry is deleted (invisible to stack policies), the new one uploaded.
    message = only_message(judge(serving_old, [entry(new, deployed=False)]))
    assert "upload 'CN=Corp Root 2024,O=Example Origin', which issued origin.example.com's" in (
        message
    )
    assert "'CN=Corp Root 2027,O=Example Origin'" in message
    # Followed: keep the old root until the origin is reissued.
    assert judge(serving_old, [entry(old, deployed=False), entry(new, deployed=False)]) == (
        OriginReport(())
    )
    assert judge(served(new), [entry(new, deployed=False)]) == OriginReport(())


def test_removing_the_anchoring_ca_while_adding_another_is_refused() -> None:
    old, other, added = origin_root("Corp Root 2024"), origin_root("Other"), origin_root("Added")
    message = only_message(
        judge(served(old), [entry(other, deployed=True), entry(added, deployed=False)])
    )
    assert "Anchoring CA before: none among the CAs this deployment keeps unchanged" in message
    assert "upload 'CN=Corp Root 2024,O=Example Origin'" in message


def test_adding_a_ca_that_takes_over_passes() -> None:
    old = origin_root("Corp Root 2024")
    assert judge(
        served(old), [entry(old, deployed=True), entry(origin_root("New"), deployed=False)]
    ) == (OriginReport(()))


def test_an_origin_already_uncovered_does_not_block_a_deployment_that_leaves_its_zone_alone() -> (
    None
):
    unknown = origin_root("Unknown CA")
    kept = origin_root("Corp Root 2024")
    report = judge(
        served(unknown),
        [
            entry(kept, deployed=True),
            entry(origin_root("Elsewhere"), deployed=False, zone_id=OTHER_ZONE),
        ],
    )
    assert report.refused == ()
    (note,) = report.reported
    assert "already not covered" in note
    assert "not refused" in note
    assert "upload 'CN=Unknown CA,O=Example Origin'" in note


def test_but_a_change_that_takes_its_anchor_away_is_refused() -> None:
    anchor = origin_root("Corp Root 2024")
    chain = served(anchor)
    before = judge(chain, [entry(anchor, deployed=True)])
    assert before == OriginReport(())
    after = judge(chain, [entry(origin_root("Corp Root 2027"), deployed=False)])
    assert len(after.violations) == 1


def test_pending_entries_in_the_zone_leave_it_undecided() -> None:
    report = judge(served(origin_root("Corp Root 2024")), [], pending=[Place("new-ca", ZONE)])
    assert report.violations == ()
    assert "no verdict" in report.notes[0]


def test_unreadable_chain_is_named() -> None:
    report = judge("does-not-exist.pem", [entry(origin_root(), deployed=True)])
    assert "chain file 'does-not-exist.pem' not found" in only_message(report)


def test_relative_chain_path_starts_at_the_base(tmp_path: Path) -> None:
    root = origin_root()
    (tmp_path / "chains").mkdir()
    (tmp_path / "chains" / "origin.pem").write_text(chain_pem(origin_leaf(root)))
    assert len(load_chain("chains/origin.pem", tmp_path)) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x", "must be a list"),
        ([{"zoneId": ZONE, "hostname": HOST}], "chain must be a non-empty string"),
        ([{"zoneId": ZONE, "hostname": HOST, "chain": "c.pem", "port": 1}], "unknown key"),
        (["c.pem"], "must be an object"),
    ],
)
def test_origins_setting_is_validated(raw: object, expected: str) -> None:
    spec = SPECS_BY_NAME["origin-ca-covers-origins"]
    with pytest.raises(PolicyConfigError, match=expected):
        spec.read_config({"origins": raw})


def test_no_origins_is_not_applicable() -> None:
    (policy,) = [p for p in STACK_POLICIES if p.spec.name == "origin-ca-covers-origins"]
    evaluation = policy.evaluate([], [], NOW, SPECS_BY_NAME[policy.spec.name].read_config({}))
    assert evaluation.not_applicable == "no origins declared (setting origins)"


# --- check --origin ---------------------------------------------------------------------------


def test_check_origin_fails_when_the_files_do_not_anchor_the_chain(tmp_path: Path) -> None:
    old, new = origin_root("Corp Root 2024"), origin_root("Corp Root 2027")
    (tmp_path / "new.pem").write_text(new.pem)
    (tmp_path / "chain.pem").write_text(served(old))
    result = check(
        tmp_path / "new.pem", "--origin", f"{tmp_path / 'chain.pem'}@{HOST}", "--now", NOW_ARG
    )
    assert result.returncode == 1, result.stderr
    assert "origin-ca-covers-origins" in result.stdout
    assert f"origin {HOST} in this set of CAs is not covered by these CA files" in result.stdout
    assert "Fix: add 'CN=Corp Root 2024,O=Example Origin', which issued" in result.stdout
    (tmp_path / "old.pem").write_text(old.pem)
    fixed = check(
        tmp_path / "new.pem",
        tmp_path / "old.pem",
        "--origin",
        f"{tmp_path / 'chain.pem'}@{HOST}",
        "--now",
        NOW_ARG,
    )
    assert fixed.returncode == 0, fixed.stdout


@pytest.mark.parametrize("form", ["json", "sarif", "junit", "github"])
def test_check_origin_findings_reach_every_format(tmp_path: Path, form: str) -> None:
    (tmp_path / "ca.pem").write_text(origin_root("Corp Root 2027").pem)
    (tmp_path / "chain.pem").write_text(chain_pem(origin_leaf(origin_root("Corp Root 2024"))))
    result = check(
        tmp_path / "ca.pem",
        "--origin",
        f"{tmp_path / 'chain.pem'}@{HOST}",
        "--format",
        form,
        "--now",
        NOW_ARG,
    )
    assert result.returncode == 1
    assert "origin-ca-covers-origins" in result.stdout
    assert "which issued origin.example.com" in result.stdout
    if form in {"json", "sarif"}:
        json.loads(result.stdout)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("chain.pem", "expected CHAIN.pem@HOSTNAME"), ("missing.pem@h", "missing.pem")],
)
def test_check_origin_usage_errors(tmp_path: Path, value: str, expected: str) -> None:
    (tmp_path / "ca.pem").write_text(origin_root().pem)
    result = check(tmp_path / "ca.pem", "--origin", value, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr


def test_a_ca_added_to_the_zone_of_an_origin_no_kept_ca_anchors_is_refused() -> None:
    """The pack cannot tell this from a rotation that deletes the anchor (deleted entries are
    invisible to stack policies), so it errs on the side of the origin; the advice works."""
    unknown, kept, added = origin_root("Unknown CA"), origin_root("Kept"), origin_root("Added")
    chain = served(unknown)
    message = only_message(judge(chain, [entry(kept, deployed=True), entry(added, deployed=False)]))
    assert "upload 'CN=Unknown CA,O=Example Origin', which issued" in message
    followed = [
        entry(kept, deployed=True),
        entry(added, deployed=False),
        entry(unknown, deployed=False),
    ]
    assert judge(chain, followed) == OriginReport(())


def test_the_note_for_an_already_uncovered_origin_gives_advice_that_works() -> None:
    unknown, kept = origin_root("Unknown CA"), origin_root("Kept")
    chain = served(unknown)
    (note,) = judge(chain, [entry(kept, deployed=True)]).reported
    assert "upload 'CN=Unknown CA,O=Example Origin'" in note
    assert judge(chain, [entry(kept, deployed=True), entry(unknown, deployed=False)]) == (
        OriginReport(())
    )


@pytest.mark.parametrize(
    ("leaf_overrides", "expected"),
    [
        ({"not_after": NOW + 10 * DAY}, "expires: within minDaysRemaining (30 days)"),
        ({"dns_names": ("other.example.com",)}, "not valid for origin.example.com"),
    ],
)
def test_an_origin_whose_own_certificate_fails_never_blocks_a_ca_change(
    leaf_overrides: dict[str, object], expected: str
) -> None:
    """A leaf due for renewal, or issued for another name, fails whatever the zone keeps."""
    root = origin_root()
    chain = chain_pem(origin_leaf(root, **leaf_overrides))  # type: ignore[arg-type]
    report = judge(chain, [entry(root, deployed=True), entry(origin_root("New"), deployed=False)])
    assert report.refused == ()
    (note,) = report.reported
    assert expected in note
    assert "renew or reissue origin.example.com's certificate" in note


def test_a_chain_path_naming_a_folder_or_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    for name, expected in (("folder", "a directory"), ("fifo", "a named pipe")):
        with pytest.raises(ValueError, match=expected):
            load_chain(name, tmp_path)


def test_a_long_non_pem_value_is_not_echoed_whole() -> None:
    secret = "sk_live_" + "x" * 40
    report = judge(secret, [entry(origin_root(), deployed=True)])
    assert secret not in only_message(report)


def test_adding_the_successor_while_the_anchor_runs_out_is_never_blocked() -> None:
    """Step 1 of the safe rotation: the old root expires within minDaysRemaining, the origin
    still serves its chain, and the new root is added. That is the fix; it goes through."""
    old = origin_root("Corp Root 2024", not_after=NOW + 20 * DAY)
    new = origin_root("Corp Root 2027")
    chain = served(old)
    report = judge(chain, [entry(old, deployed=True), entry(new, deployed=False)])
    assert report.refused == ()
    (note,) = report.reported
    assert "breaks on 2026-12-19" in note
    assert (
        "this deployment keeps 'CN=Corp Root 2024,O=Example Origin', so it is not refused" in note
    )
    # Step 2 then makes it covered: the origin reissued from the new root.
    assert judge(served(new), [entry(old, deployed=True), entry(new, deployed=True)]) == (
        OriginReport(())
    )


def test_check_judges_the_origins_of_a_config_file_against_their_zone(tmp_path: Path) -> None:
    old, new = origin_root("Corp Root 2024"), origin_root("Corp Root 2027")
    zone_folder = tmp_path / "cas" / ZONE
    zone_folder.mkdir(parents=True)
    (zone_folder / "new.pem").write_text(new.pem)
    config = {
        "origin-ca-covers-origins": {
            "origins": [
                {"zoneId": ZONE, "hostname": HOST, "chain": chain_pem(origin_leaf(old))},
                {"zoneId": OTHER_ZONE, "hostname": HOST, "chain": chain_pem(origin_leaf(old))},
            ]
        }
    }
    (tmp_path / "policy-config.json").write_text(json.dumps(config))
    result = check("cas", "--config", "policy-config.json", "--now", NOW_ARG, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"origin {HOST} in zone 023e…c353 is not covered by these CA files" in result.stdout
    assert "9a78" not in result.stdout  # the other zone's files were not checked


# --- through the pack, as the engine calls it --------------------------------------------------


def _resource(ca: Issued, *, deployed: bool) -> object:
    from pulumi_policy.policy import PolicyResource

    from tests.unit.test_policy_pack import DYNAMIC_TYPE, OPTIONS, props_of, urn

    name = f"ca-{ca.cert.serial_number % 10_000}"
    values: dict[str, object] = {"zoneId": ZONE, "certificate": ca.pem, "id": name}
    if deployed:
        values["uploadedOn"] = "2026-01-01T00:00:00Z"  # only entries already in Cloudflare
    return PolicyResource(
        DYNAMIC_TYPE, props_of(values), urn(DYNAMIC_TYPE, name), name, OPTIONS, None, None, [], {}
    )


def _pack_config(chain: str) -> dict[str, object]:
    return {"origins": [{"zoneId": ZONE, "hostname": HOST, "chain": chain}], "minDaysRemaining": 30}


def test_the_pack_refuses_a_rotation_before_the_reissue(monkeypatch: pytest.MonkeyPatch) -> None:
    from policies import pack
    from tests.unit.test_policy_pack import run_stack

    monkeypatch.setattr(pack, "utc_now", lambda: NOW)
    old, new = origin_root("Corp Root 2024"), origin_root("Corp Root 2027")
    outcome = run_stack(
        "origin-ca-covers-origins",
        [_resource(new, deployed=False)],  # type: ignore[list-item]
        _pack_config(served(old)),
    )
    (message,) = outcome.messages
    assert "upload 'CN=Corp Root 2024,O=Example Origin', which issued" in message


@pytest.mark.parametrize(("level", "warned"), [(None, False), ("advisory", True)])
def test_the_pack_notes_an_already_uncovered_origin_and_warns_when_advisory(
    monkeypatch: pytest.MonkeyPatch, level: str | None, warned: bool
) -> None:
    from policies import pack
    from policies.trust_rules.catalog import Level
    from tests.unit.test_policy_pack import run_stack

    monkeypatch.setattr(pack, "utc_now", lambda: NOW)
    levels = {} if level is None else {"origin-ca-covers-origins": Level(level)}
    monkeypatch.setattr(pack, "received_levels", levels)
    kept, unknown = origin_root("Corp Root 2024"), origin_root("Unknown CA")
    outcome = run_stack(
        "origin-ca-covers-origins",
        [_resource(kept, deployed=True)],  # type: ignore[list-item]
        _pack_config(served(unknown)),
    )
    if warned:
        (message,) = outcome.messages
        assert "already not covered" in message
    else:
        assert outcome.messages == []
        assert outcome.not_applicable is not None
        assert "already not covered" in outcome.not_applicable
