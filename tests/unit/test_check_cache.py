"""The repeated-check cache: hits on unchanged files, misses on any change, ignores corruption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies import check_cache
from policies.check_cache import CACHE_FILE, FactsCache
from policies.trust_rules.certificates import forget_cached_facts
from policies.trust_rules.outcomes import Place
from tests.certs import expiring_in, root_ca
from tests.unit.test_check_cli import DAY, NOW_ARG, check


def place() -> Place:
    return Place("a.pem", None, kind="file")


def test_second_lookup_hits_and_gives_equal_facts(tmp_path: Path) -> None:
    pem = root_ca().pem
    first = FactsCache(tmp_path, "config-1")
    parsed = first.entry(pem.encode(), pem, place())
    first.save()
    forget_cached_facts()
    second = FactsCache(tmp_path, "config-1")
    cached = second.entry(pem.encode(), pem, place())
    assert (second.hits, second.misses) == (1, 0)
    assert cached.facts == parsed.facts


def test_a_changed_byte_setting_or_rule_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = root_ca().pem
    warm = FactsCache(tmp_path, "config-1")
    warm.entry(pem.encode(), pem, place())
    warm.save()
    changed = pem + "\n"
    byte = FactsCache(tmp_path, "config-1")
    byte.entry(changed.encode(), changed, place())
    setting = FactsCache(tmp_path, "config-2")
    setting.entry(pem.encode(), pem, place())
    monkeypatch.setattr(check_cache, "rules_version", lambda: "rules-after-an-edit")
    rule = FactsCache(tmp_path, "config-1")
    rule.entry(pem.encode(), pem, place())
    assert [c.misses for c in (byte, setting, rule)] == [1, 1, 1]
    assert [c.hits for c in (byte, setting, rule)] == [0, 0, 0]


def test_refusals_are_cached_without_key_material(tmp_path: Path) -> None:
    issued = root_ca()
    text = issued.pem + issued.key_pem
    first = FactsCache(tmp_path, "c")
    refused = first.entry(text.encode(), text, place())
    first.save()
    second = FactsCache(tmp_path, "c")
    again = second.entry(text.encode(), text, place())
    assert second.hits == 1
    assert type(again.problem) is type(refused.problem)
    assert str(again.problem) == str(refused.problem)
    assert "PRIVATE KEY-----" not in (tmp_path / CACHE_FILE).read_text()


@pytest.mark.parametrize(
    "corruption",
    [
        b"{not json",
        b"[]",
        b'{"format": 1, "entries": []}',
        b"\xff\xfe",
    ],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path, corruption: bytes) -> None:
    (tmp_path / CACHE_FILE).write_bytes(corruption)
    pem = root_ca().pem
    cache = FactsCache(tmp_path, "c")
    entry = cache.entry(pem.encode(), pem, place())
    assert entry.facts is not None
    assert cache.misses == 1
    cache.save()
    assert json.loads((tmp_path / CACHE_FILE).read_text())["format"] == check_cache.CACHE_FORMAT


def test_a_tampered_entry_is_a_miss(tmp_path: Path) -> None:
    pem = root_ca().pem
    cache = FactsCache(tmp_path, "c")
    cache.entry(pem.encode(), pem, place())
    cache.save()
    document = json.loads((tmp_path / CACHE_FILE).read_text())
    for value in document["entries"].values():
        value["facts"]["not_after"] = "not a date"
    (tmp_path / CACHE_FILE).write_text(json.dumps(document))
    again = FactsCache(tmp_path, "c")
    assert again.entry(pem.encode(), pem, place()).facts is not None
    assert (again.hits, again.misses) == (0, 1)


def test_check_uses_the_cache_and_no_cache_leaves_none(tmp_path: Path) -> None:
    near = tmp_path / "near.pem"
    near.write_text(expiring_in(10 * DAY).pem)
    cache_dir = tmp_path / "cache"
    first = check(near, "--now", NOW_ARG, "--cache-dir", cache_dir)
    second = check(near, "--now", NOW_ARG, "--cache-dir", cache_dir)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout
    assert (cache_dir / CACHE_FILE).exists()
    elsewhere = tmp_path / "unused"
    assert check(near, "--now", NOW_ARG, "--cache-dir", elsewhere, "--no-cache").returncode == 1
    assert not elsewhere.exists()


def test_a_cache_later_in_time_still_judges_by_the_clock(tmp_path: Path) -> None:
    """Facts are cached, verdicts are not: the same file expires as time passes."""
    ca = tmp_path / "ca.pem"
    ca.write_text(expiring_in(40 * DAY).pem)
    cache_dir = tmp_path / "cache"
    assert check(ca, "--now", NOW_ARG, "--cache-dir", cache_dir).returncode == 0
    later = "2026-12-29T12:00:00+00:00"
    assert check(ca, "--now", later, "--cache-dir", cache_dir).returncode == 1


def test_an_unwritable_cache_folder_does_not_fail_the_check(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(root_ca().pem)
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    result = check(ca, "--now", NOW_ARG, "--cache-dir", blocker)
    assert result.returncode == 0
    assert "the check cache was not saved" in result.stderr
