"""``python -m policies check`` against hostile files, configs and certificates: a one-line
error and exit 2 for what cannot be used, in bounded time and memory, nothing raw on the
terminal, no secret echoed.

Most cases call ``main(argv)`` in-process; those that could block or exhaust memory run in a
subprocess with limits.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from policies.cli import main
from policies.trust_rules.catalog import SPECS_BY_NAME
from tests.certs import NOW, root_ca
from tests.hostile.conftest import GIB, TIME_BOUND, TOKEN, assert_no_secret, run_limited
from tests.hostile.hostile_inputs import (
    TERMINAL_ATTACKS,
    named_leaf_pem,
    negative_serial_pem,
    private_key_pems,
    zero_serial_pem,
)

NOW_ARG = NOW.isoformat()
ROOT = root_ca("Hostile CLI Root")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run_check(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    started = time.monotonic()
    code = main(["check", *map(str, args), "--now", NOW_ARG])
    assert time.monotonic() - started < TIME_BOUND
    out, err = capsys.readouterr()
    assert_no_secret(out + err)
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.pem"
    path.write_text(ROOT.pem)
    return path


# -- what a path may name --------------------------------------------------------------------


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def test_a_directory_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # A folder of CAs is a valid argument (every certificate inside); an empty one is refused,
    # and a folder given where a file must be (the config) is refused as a directory.
    code, out, err = run_check(capsys, tmp_path)
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"error: folder {tmp_path} holds no certificate file")
    (tmp_path / "ca.pem").write_text(ROOT.pem)
    code, out, err = run_check(capsys, tmp_path, "--config", tmp_path)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"error: {tmp_path}: a directory, not a regular file; give the path of a JSON policy"
        " config file\n"
    )


def test_a_socket_is_refused(capsys: pytest.CaptureFixture[str], unix_socket: Path) -> None:
    code, _, err = run_check(capsys, unix_socket)
    assert code == EXIT_USAGE
    assert f"{unix_socket}: a socket, not a regular file" in err


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_being_read(
    capsys: pytest.CaptureFixture[str], device: str
) -> None:
    code, _, err = run_check(capsys, device)
    assert code == EXIT_USAGE
    assert err == (
        f"error: {device}: a character device, not a regular file; give the path of a PEM or DER"
        " certificate file\n"
    )


def test_a_symlink_to_a_device_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = tmp_path / "ca.pem"
    link.symlink_to("/dev/zero")
    code, _, err = run_check(capsys, link)
    assert code == EXIT_USAGE
    assert f"{link}: a character device, not a regular file" in err


def test_a_symlink_loop_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    loop = tmp_path / "loop.pem"
    loop.symlink_to(loop)
    code, _, err = run_check(capsys, loop)
    assert code == EXIT_USAGE
    assert err == f"error: cannot read {loop}: Too many levels of symbolic links\n"


def test_a_missing_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_check(capsys, tmp_path / "nope.pem")
    assert code == EXIT_USAGE
    assert err.startswith(f"error: cannot read {tmp_path / 'nope.pem'}: No such file or directory")


@pytest.mark.parametrize("size", [(1 << 20) + 1, 10 * GIB])
def test_a_large_file_is_refused_reading_no_more_than_the_cap(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, size: int
) -> None:
    big = tmp_path / "big.pem"
    with big.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(size)
    code, _, err = run_check(capsys, big)
    assert code == EXIT_USAGE
    assert err == f"error: {big}: larger than 1048576 bytes, not a PEM or DER certificate file\n"


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00garbage", b"-----BEGIN CERTIFICATE-----\n\xc3\x28\n"],
    ids=["binary", "bad-utf8"],
)
def test_a_file_that_is_not_utf8_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "bin.pem"
    path.write_bytes(data)
    code, _, err = run_check(capsys, path)
    assert code == EXIT_USAGE
    assert err == f"error: {path}: not UTF-8 text (expected a PEM or DER certificate file)\n"


@pytest.mark.parametrize("attack", TERMINAL_ATTACKS.values(), ids=TERMINAL_ATTACKS.keys())
def test_a_file_name_with_terminal_escapes_is_printed_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, attack: str
) -> None:
    if "\x00" in attack:
        pytest.skip("a path cannot hold NUL")
    path = tmp_path / f"ca{attack}.pem"
    path.write_text(ROOT.pem)
    code, out, _ = run_check(capsys, path)
    assert code == EXIT_OK
    assert attack not in out
    assert all(char.isprintable() or char == "\n" for char in out)


def test_a_fifo_with_no_writer_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    run = run_limited(["-m", "policies", "check", str(fifo)], timeout=30)
    assert run.returncode == EXIT_USAGE
    assert run.stderr == (
        f"error: {fifo}: a named pipe (FIFO), not a regular file; give the path of a PEM or DER"
        " certificate file\n"
    )
    assert run.seconds < TIME_BOUND


def test_dev_zero_is_refused_in_bounded_memory() -> None:
    run = run_limited(["-m", "policies", "check", "/dev/zero"], memory=GIB // 2, timeout=30)
    assert run.returncode == EXIT_USAGE
    assert "error: /dev/zero: a character device, not a regular file" in run.stderr


# -- the config file -------------------------------------------------------------------------

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]
NUMERIC_SETTINGS = [
    (spec.name, setting.key)
    for spec in SPECS_BY_NAME.values()
    for setting in spec.settings
    if setting.kind in ("integer", "number")
]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("policy", "key"), NUMERIC_SETTINGS)
def test_a_non_finite_setting_is_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    good: Path,
    policy: str,
    key: str,
    value: str,
) -> None:
    config = tmp_path / "config.json"
    config.write_text(f'{{"{policy}": {{"{key}": {value}}}}}')
    code, out, err = run_check(capsys, good, "--config", config)
    assert (code, out) == (EXIT_USAGE, "")
    shown = {"NaN": "nan", "Infinity": "inf", "1e999": "inf", "-Infinity": "-inf", "-1e999": "-inf"}
    assert err == f"error: config: {policy}.{key} must be a finite number, got {shown[value]}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000, "is not valid JSON"),
        ('{"all": NaN}', "enforcementLevel nan is not one of"),
        ('{"origin-ca-not-expired": {"enforcementLevel": Infinity}}', "enforcementLevel inf"),
        (
            f'{{"{TOKEN}": "mandatory"}}',
            f"config: unknown policy 'hostil'… ({len(TOKEN)} characters)",
        ),
        (
            f'{{"all": "{TOKEN}"}}',
            f"enforcementLevel 'hostil'… ({len(TOKEN)} characters) is not one of",
        ),
        (
            f'{{"origin-ca-not-near-expiry": {{"{TOKEN}": 1}}}}',
            f"has no setting 'hostil'… ({len(TOKEN)} characters)",
        ),
        (
            f'{{"origin-ca-not-near-expiry": {{"minDaysRemaining": "{TOKEN}"}}}}',
            f"must be a number, got 'hostil'… ({len(TOKEN)} characters)",
        ),
        (
            '{"origin-ca-not-near-expiry": {"minDaysRemaining": ' + "9" * 5000 + "}}",
            "not valid JSON",
        ),
        (
            '{"origin-ca-not-near-expiry": {"minDaysRemaining": ' + "9" * 4000 + "}}",
            "a very large number",
        ),
        ("\ufeff{}", "not valid JSON"),
    ],
    ids=[
        "nested",
        "level-nan",
        "level-inf",
        "unknown-policy-token",
        "level-token",
        "setting-name-token",
        "setting-value-token",
        "5000-digit-number",
        "4000-digit-number",
        "byte-order-mark",
    ],
)
def test_a_hostile_config_is_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good: Path, text: str, expected: str
) -> None:
    config = tmp_path / "config.json"
    config.write_text(text)
    code, _, err = run_check(capsys, good, "--config", config)
    assert code == EXIT_USAGE
    assert expected in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("target", ["/dev/zero", "directory"])
def test_a_config_that_is_not_a_regular_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good: Path, target: str
) -> None:
    config = tmp_path if target == "directory" else Path(target)
    code, _, err = run_check(capsys, good, "--config", config)
    assert code == EXIT_USAGE
    assert "not a regular file; give the path of a JSON policy config file" in err


def test_a_config_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    pem = tmp_path / "ca.pem"
    pem.write_text(ROOT.pem)
    run = run_limited(["-m", "policies", "check", str(pem), "--config", str(fifo)])
    assert run.returncode == EXIT_USAGE
    assert "a named pipe (FIFO), not a regular file" in run.stderr


# -- certificates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pem", [negative_serial_pem(), zero_serial_pem()], ids=["negative", "zero"]
)
def test_a_serial_that_is_not_positive_fails_well_formed_with_no_warning(
    tmp_path: Path, pem: str
) -> None:
    path = tmp_path / "serial.pem"
    path.write_text(pem)
    run = run_limited(["-W", "default", "-m", "policies", "check", str(path), "--now", NOW_ARG])
    assert run.returncode == EXIT_FAILED
    assert "FAIL    mandatory  origin-ca-well-formed" in run.stdout
    assert "serial number that is not positive (negative or zero)" in run.stdout
    assert run.stderr == ""  # no CryptographyDeprecationWarning, no source paths


@pytest.mark.parametrize("attack", TERMINAL_ATTACKS.values(), ids=TERMINAL_ATTACKS.keys())
@pytest.mark.parametrize("output", ["table", "json"])
def test_a_subject_with_terminal_escapes_is_printed_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, attack: str, output: str
) -> None:
    path = tmp_path / "leaf.pem"
    path.write_text(named_leaf_pem(f"evil{attack}.example"))
    code, out, _ = run_check(capsys, path, *(["--json"] if output == "json" else []))
    assert code == EXIT_FAILED
    assert attack not in out
    if output == "json":
        messages = " ".join(r["message"] for r in json.loads(out)["results"])
        assert attack not in messages
        assert "evil" in messages
        assert "\\x" in messages or "\\u" in messages
    else:
        assert all(char.isprintable() or char == "\n" for char in out)


@pytest.mark.parametrize("kind", list(private_key_pems()))
def test_a_private_key_is_refused_and_never_echoed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    key = private_key_pems()[kind]
    path = tmp_path / "leaky.pem"
    path.write_text(ROOT.pem + key)
    code, out, _ = run_check(capsys, path)
    assert code == EXIT_FAILED
    assert "private key material found" in out
    for line in key.splitlines()[1:-1]:
        assert line not in out


def test_a_bundle_of_thousands_is_refused_in_bounded_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bundle.pem"
    path.write_text(ROOT.pem * 700)  # just under the 1 MiB cap
    code, out, _ = run_check(capsys, path)
    assert code == EXIT_FAILED
    assert "found 700 certificates" in out


@pytest.mark.parametrize(
    "now", ["9" * 10_000, "nan", TOKEN, "\x1b[2J"], ids=["long", "nan", "token", "escape"]
)
def test_a_hostile_now_is_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str], good: Path, now: str
) -> None:
    code = main(["check", str(good), "--now", now])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert err.startswith("error: --now ")
    assert "is not an ISO 8601 timestamp" in err
    assert_no_secret(out + err)
    assert "\x1b" not in err
