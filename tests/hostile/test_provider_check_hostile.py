"""The provider's ``check`` (what ``pulumi preview`` runs first) against hostile inputs: every
refusal names no property to the engine (which would print the raw value whole), quotes no
secret, is printable, and comes in bounded time; the pack refuses non-finite settings.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from policies.pack import build_policies
from policies.trust_rules.catalog import SPECS_BY_NAME
from policies.trust_rules.errors import PolicyConfigError
from provider.client import MAX_CERTIFICATE_LENGTH
from provider.resource import CustomOriginTrustStoreProvider
from scripts.certs import root_ca
from tests.common import ZONE_ID
from tests.hostile.conftest import TIME_BOUND, TOKEN, assert_no_secret
from tests.hostile.hostile_inputs import (
    TERMINAL_ATTACKS,
    big_root_pem,
    named_leaf_pem,
    negative_serial_pem,
    private_key_pems,
    zero_serial_pem,
)

ROOT = root_ca("Hostile Check Root")


def refused(news: dict[str, Any]) -> str:
    """The one failure ``check`` reports for ``news``: its reason."""
    started = time.monotonic()
    result = CustomOriginTrustStoreProvider().check({}, news)
    assert time.monotonic() - started < TIME_BOUND
    [failure] = result.failures
    assert failure.property == "", "a named property makes the engine print the raw value"
    assert_no_secret(failure.reason)
    assert failure.reason.isprintable()
    return failure.reason


ZONE_VALUES: dict[str, object] = {
    "token": TOKEN,
    "token with a line break": TOKEN + "\n",
    "token as a 32-character prefix plus junk": TOKEN[:32] + "!",
    "escape sequence": "\x1b[2J" + "0" * 28,
    "10 MB string": "a" * 10_000_000,
    "object holding the token": {"token": TOKEN},
    "list holding the token": [TOKEN],
    "true": True,
    "float nan": math.nan,
    "number": 42,
    "bytes": TOKEN.encode(),
}


@pytest.mark.parametrize("value", ZONE_VALUES.values(), ids=ZONE_VALUES.keys())
def test_a_bad_zone_id_is_refused_without_echoing_it(value: object) -> None:
    reason = refused({"zoneId": value, "certificate": ROOT.pem})
    assert reason.startswith("zoneId must be the zone's 32-character hexadecimal id")


def test_a_long_zone_id_is_quoted_by_its_start_only() -> None:
    reason = refused({"zoneId": TOKEN, "certificate": ROOT.pem})
    assert f"got 'hostil'… ({len(TOKEN)} characters)" in reason
    assert TOKEN not in reason


OPTION_VALUES = [
    ("adoptExisting", TOKEN),
    ("adoptExisting", {"a": TOKEN}),
    ("waitForActive", TOKEN),
    ("waitForActive", "true"),
    ("activeTimeoutSeconds", TOKEN),
    ("activeTimeoutSeconds", math.nan),
    ("activeTimeoutSeconds", math.inf),
    ("activeTimeoutSeconds", -math.inf),
    ("activeTimeoutSeconds", 10**400),
    ("activeTimeoutSeconds", -1),
]


@pytest.mark.parametrize(("key", "value"), OPTION_VALUES)
def test_a_bad_option_is_refused_without_echoing_it(key: str, value: object) -> None:
    reason = refused({"zoneId": ZONE_ID, "certificate": ROOT.pem, key: value})
    assert reason.startswith(f"{key} must be")


CERTIFICATES: dict[str, tuple[object, str]] = {
    "the token": (TOKEN, "certificate cannot be parsed: no PEM certificate block found"),
    "negative serial": (negative_serial_pem(), "serial number that is not positive"),
    "zero serial": (zero_serial_pem(), "serial number that is not positive"),
    "one byte over 64 KiB": (
        ROOT.pem + " " * (MAX_CERTIFICATE_LENGTH + 1 - len(ROOT.pem)),
        f"certificate is {MAX_CERTIFICATE_LENGTH + 1} characters long, more than the"
        f" {MAX_CERTIFICATE_LENGTH}",
    ),
    "a real 5 MB root CA": (big_root_pem(5_000_000), "characters long, more than the 65536"),
    "a million BEGIN lines": ("-----BEGIN CERTIFICATE-----\n" * 1_000_000, "more than the 65536"),
    "bytes": (ROOT.pem.encode(), "certificate: certificate must be PEM text, got bytes"),
    "a list": ([ROOT.pem], "certificate must be PEM text, got list"),
}


@pytest.mark.parametrize(("value", "expected"), CERTIFICATES.values(), ids=CERTIFICATES.keys())
def test_a_bad_certificate_is_refused_with_our_message(value: object, expected: str) -> None:
    reason = refused({"zoneId": ZONE_ID, "certificate": value})
    assert reason.startswith("certificate")
    assert expected in reason


def test_a_certificate_at_exactly_the_limit_passes_check_as_the_client_would_take_it() -> None:
    padded = ROOT.pem + " " * (MAX_CERTIFICATE_LENGTH - len(ROOT.pem))
    result = CustomOriginTrustStoreProvider().check({}, {"zoneId": ZONE_ID, "certificate": padded})
    assert result.failures == []


@pytest.mark.parametrize("kind", list(private_key_pems()))
def test_a_private_key_is_refused_and_never_repeated(kind: str) -> None:
    key = private_key_pems()[kind]
    reason = refused({"zoneId": ZONE_ID, "certificate": ROOT.pem + key})
    assert reason.startswith("certificate contains private key material")
    assert all(line not in reason for line in key.splitlines()[1:-1])


@pytest.mark.parametrize("attack", TERMINAL_ATTACKS.values(), ids=TERMINAL_ATTACKS.keys())
def test_a_subject_with_terminal_escapes_is_quoted_escaped(attack: str) -> None:
    reason = refused({"zoneId": ZONE_ID, "certificate": named_leaf_pem(f"evil{attack}")})
    assert "is not a CA certificate" in reason
    assert attack not in reason


def test_the_refused_inputs_do_not_survive_in_checked_inputs() -> None:
    result = CustomOriginTrustStoreProvider().check(
        {}, {"zoneId": ZONE_ID, "certificate": ROOT.pem + private_key_pems()["PKCS#8"]}
    )
    # The input comes back as given (so the pack can say why), with the key withheld.
    kept = result.inputs["certificate"]
    assert "withheld" in kept
    assert all(line not in kept for line in private_key_pems()["PKCS#8"].splitlines()[1:-1])


# -- the pack's config ----------------------------------------------------------------------

NUMERIC = [
    (spec.name, setting.key)
    for spec in SPECS_BY_NAME.values()
    for setting in spec.settings
    if setting.kind in ("integer", "number")
]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(("policy", "key"), NUMERIC[:3])
def test_the_pack_refuses_non_finite_settings(policy: str, key: str, value: float) -> None:
    assert build_policies()  # the pack itself loads
    with pytest.raises(PolicyConfigError, match=rf"^{policy}\.{key} must be a finite number"):
        SPECS_BY_NAME[policy].read_config({key: value})
