"""``python -m emulator`` as a real process: first line, options, signals, persistence."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from emulator.clock import parse_rfc3339
from emulator.process import PROJECT_ROOT, EmulatorProcess
from scripts.certs import NOW, root_ca
from tests.common import TOKEN, ZONE_ID

Start = Callable[..., EmulatorProcess]
URL = f"/zones/{ZONE_ID}/acm/custom_trust_store"


def client(proc: EmulatorProcess, token: str = TOKEN) -> httpx.Client:
    return httpx.Client(base_url=proc.base_url, headers={"Authorization": f"Bearer {token}"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_first_line_is_the_base_url(emulator_process: EmulatorProcess) -> None:
    assert emulator_process.base_url.startswith("http://127.0.0.1:")
    assert emulator_process.base_url.endswith("/client/v4")
    assert emulator_process.root_url + "/client/v4" == emulator_process.base_url
    assert emulator_process.control.health()["ok"] is True


def test_explicit_port_and_token(emulator_process_factory: Start) -> None:
    port = free_port()
    proc = emulator_process_factory(["--port", str(port), "--token", "s3cret"])
    assert proc.base_url == f"http://127.0.0.1:{port}/client/v4"
    with client(proc, "s3cret") as c:
        assert c.get(URL).status_code == 200
    with client(proc, TOKEN) as c:
        assert c.get(URL).status_code == 403


def test_start_time_sets_the_clock(emulator_process: EmulatorProcess) -> None:
    now = parse_rfc3339(emulator_process.control.health()["now"])
    assert NOW <= now < NOW + dt.timedelta(minutes=5)


def test_delays_from_the_command_line(emulator_process_factory: Start) -> None:
    proc = emulator_process_factory(
        ["--activation-delay", "100", "--deletion-delay", "50", "--frozen-clock"]
    )
    with client(proc) as c:
        entry_id = c.post(URL, json={"certificate": root_ca().pem}).json()["result"]["id"]
        assert c.get(f"{URL}/{entry_id}").json()["result"]["status"] == "initializing"
        proc.control.advance_clock(50)
        assert c.get(f"{URL}/{entry_id}").json()["result"]["status"] == "pending_deployment"
        proc.control.advance_clock(50)
        assert c.get(f"{URL}/{entry_id}").json()["result"]["status"] == "active"
        c.delete(f"{URL}/{entry_id}")
        assert c.get(f"{URL}/{entry_id}").json()["result"]["status"] == "pending_deletion"
        proc.control.advance_clock(50)
        assert c.get(f"{URL}/{entry_id}").status_code == 404


def test_rate_limit_from_the_command_line(emulator_process_factory: Start) -> None:
    proc = emulator_process_factory(["--rate-limit", "2/60"])
    with client(proc) as c:
        statuses = [c.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_key_pair_from_the_command_line(emulator_process_factory: Start) -> None:
    proc = emulator_process_factory(["--email", "ops@example.com", "--api-key", "k3y"])
    headers = {"X-Auth-Email": "ops@example.com", "X-Auth-Key": "k3y"}
    assert httpx.get(proc.base_url + URL, headers=headers).status_code == 200


def test_state_persists_across_restart_with_db(
    tmp_path: Path, emulator_process_factory: Start
) -> None:
    db = str(tmp_path / "emulator.sqlite")
    first = emulator_process_factory(["--db", db, "--deletion-delay", "3600"])
    with client(first) as c:
        kept = c.post(URL, json={"certificate": root_ca("Kept").pem}).json()["result"]
        going = c.post(URL, json={"certificate": root_ca("Going").pem}).json()["result"]
        c.delete(f"{URL}/{going['id']}")
    first.control.set_acm_enabled("0123456789abcdef0123456789abcdef", False)
    assert first.stop() == 0

    second = emulator_process_factory(["--db", db])
    with client(second) as c:
        listed = c.get(URL).json()["result"]
        assert [e["id"] for e in listed] == [kept["id"], going["id"]]
        assert listed[0] == kept
        assert listed[1]["status"] == "pending_deletion"
        off = c.get("/zones/0123456789abcdef0123456789abcdef/acm/custom_trust_store")
        assert off.json()["errors"][0]["code"] == 1450
        # The clock offset is persisted too: deletion completes after the advance.
        second.control.advance_clock(3600)
    assert second.stop() == 0
    third = emulator_process_factory(["--db", db])
    with client(third) as c:
        assert [e["id"] for e in c.get(URL).json()["result"]] == [kept["id"]]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_signal(signum: int) -> None:
    with EmulatorProcess(["--token", TOKEN]) as proc:
        assert httpx.get(proc.root_url + "/__emulator/health").status_code == 200
        proc._proc.send_signal(signum)  # type: ignore[union-attr]
        assert proc._proc.wait(timeout=10) == 0  # type: ignore[union-attr]
        with pytest.raises(httpx.ConnectError):
            httpx.get(proc.root_url + "/__emulator/health")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "lots"], "rate limit must look like N/WINDOW_SECONDS"),
        (["--rate-limit", "0/10"], "rate limit needs N >= 1"),
        (["--activation-delay", "-1"], "must be a finite number of seconds >= 0; got -1"),
        (["--start-time", "yesterday"], "Invalid isoformat"),
        (["--host", "192.0.2.1"], "--host 192.0.2.1 is not a loopback address"),
        (["--zone", "NOT-HEX"], "a zone id must be 1..32 lowercase hex characters"),
        (["--zone", "abc=Bad Name"], "a zone name must be a lowercase domain name"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    assert_refused(args, message)


def assert_refused(args: list[str], message: str) -> None:
    """Exit 2 before serving, with ONE line on stderr that says what is wrong."""
    result = subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "port must be 0..65535"),
        (["--port", "-1"], "port must be 0..65535"),
        (["--port", "http"], "not a port number: 'http'"),
        (["--activation-delay", "nan"], "must be a finite number of seconds >= 0; got nan"),
        (["--deletion-delay", "inf"], "must be a finite number of seconds >= 0; got inf"),
        (["--deletion-delay", "soon"], "not a number of seconds: 'soon'"),
        (["--rate-limit", "5/nan"], "a finite WINDOW > 0"),
        (["--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_bad_numbers_are_one_line_errors(args: list[str], message: str) -> None:
    assert_refused(args, message)


def sqlite_file(path: Path, schema: str) -> Path:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(schema)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing" / "state.db", "the folder"),
        (lambda d: d, "not a regular file"),
        (lambda d: d / "notes.txt", "not an SQLite database (left untouched)"),
        (
            lambda d: sqlite_file(d / "other.db", "CREATE TABLE entries (name TEXT);"),
            "another program's database (tables entries)",
        ),
        (
            lambda d: sqlite_file(d / "app.db", "CREATE TABLE users (id INTEGER);"),
            "another program's database (tables users)",
        ),
        (lambda d: d / "truncated.db", "SQLite database"),
    ],
    ids=["missing-folder", "directory", "text-file", "foreign-entries", "foreign", "corrupt"],
)
def test_unusable_db_is_refused_and_left_untouched(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n")
    real = sqlite_file(tmp_path / "real.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
    (tmp_path / "truncated.db").write_bytes(real.read_bytes()[:100] + b"\xff" * 4000)
    db = make(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert_refused(["--db", str(db)], message)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # nothing written, no -wal/-shm left behind


def test_default_token_in_help_and_start_line(emulator_process_factory: Start) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert "(default: test-token)" in " ".join(result.stdout.split())
    with EmulatorProcess([]) as proc:
        assert proc.start_line.startswith(proc.base_url + "  token: test-token (the default)")
    custom = emulator_process_factory(["--token", "s3cret-value"])
    assert "as given by --token" in custom.start_line
    assert "s3cret-value" not in custom.start_line


def test_port_in_use_fails_loudly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = EmulatorProcess(["--port", str(port)], startup_timeout=15)
        with pytest.raises(RuntimeError, match="exited with 1 before serving"):
            proc.start()
        assert f"cannot listen on 127.0.0.1 port {port}" in proc.stderr()
        proc.close()
