"""How outside text is made safe to quote: redacted, escaped, then cut (in that order)."""

from __future__ import annotations

import pytest

from policies.trust_rules.printable import echo_input, echo_name, printable
from provider.errors import MAX_QUOTED_TEXT, quote_server_text
from provider.redaction import REDACTED, redact

TOKEN = "Zq8vW2xR7tY4uI9oP3aS6dF1gH5jK0lMn2Bv4Cx6"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"bad token {TOKEN}!", f"bad token {REDACTED}!"),
        (f"cut: {TOKEN[:12]}", f"cut: {REDACTED}"),
        (f"tail: {TOKEN[-9:]}", f"tail: {REDACTED}"),
        (f"{TOKEN[:7]} is too short a piece to tell", f"{TOKEN[:7]} is too short a piece to tell"),
        (f"{TOKEN[:20]}{TOKEN[25:]}", REDACTED),
        ("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- ok", f"{REDACTED} ok"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE", REDACTED),
    ],
    ids=["whole", "prefix", "suffix", "below-the-piece-length", "spliced", "key", "cut-key"],
)
def test_redact_removes_secrets_whole_or_in_pieces(text: str, expected: str) -> None:
    assert redact(text, (TOKEN,)) == expected


def test_quote_server_text_redacts_before_it_cuts() -> None:
    text = "x" * (MAX_QUOTED_TEXT - 14) + TOKEN
    quoted = quote_server_text(text, (TOKEN,))
    assert quoted == "x" * (MAX_QUOTED_TEXT - 14) + REDACTED
    assert TOKEN[:8] not in quote_server_text("y" * (MAX_QUOTED_TEXT - 5) + TOKEN, (TOKEN,))


def test_quote_server_text_escapes_and_bounds() -> None:
    quoted = quote_server_text("\x1b[2J" + "z" * 10_000)
    assert quoted.startswith("\\x1b[2J")
    assert len(quoted) == MAX_QUOTED_TEXT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CN=Plain Root", "CN=Plain Root"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\u202eb", "a\\u202eb"),
        ("tab\there", "tab\\x09here"),
        ("\U000e0001tag", "\\U000e0001tag"),
    ],
)
def test_printable_escapes_what_could_drive_a_terminal(text: str, expected: str) -> None:
    assert printable(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", "'example.com'"),
        (TOKEN, f"'Zq8vW2'… ({len(TOKEN)} characters)"),
        ("\x1b[2J", "'\\x1b[2J'"),
        (1.5, "1.5"),
        pytest.param(10**5000, "a very large number", id="5001-digit-int"),
        ({"k": TOKEN}, "a dict"),
    ],
)
def test_echo_input_never_quotes_a_secret_whole(value: object, expected: str) -> None:
    assert echo_input(value) == expected


def test_echo_name_shows_a_typo_whole_and_a_token_by_its_start() -> None:
    assert echo_name("origin-ca-nope") == "'origin-ca-nope'"
    assert echo_name(TOKEN) == echo_input(TOKEN)
