"""`probe`: capture the chain an origin presents, from a real TLS server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.cli import main
from policies.origin_probe import ProbeError, fetch_chain, parse_origin
from policies.trust_rules.origins import parse_chain
from tests.certs import origin_intermediate, origin_leaf, origin_root
from tests.origin_servers import Served, free_port, plain_server, silent_server, tls_server


def test_fetch_chain_returns_leaf_and_intermediates_as_presented() -> None:
    root = origin_root()
    issuing = origin_intermediate(root)
    leaf = origin_leaf(issuing)
    with tls_server(Served(leaf, (issuing,))) as port:
        chain = fetch_chain("127.0.0.1", port, "origin.example.com", 5)
    assert chain == [leaf.cert, issuing.cert]


def test_sni_picks_the_chain() -> None:
    root = origin_root()
    default = origin_leaf(root, "default.example.com")
    api = origin_leaf(origin_intermediate(root, "API CA"), "api.example.com")
    with tls_server(Served(default), {"api.example.com": Served(api)}) as port:
        assert fetch_chain("127.0.0.1", port, "api.example.com", 5)[0] == api.cert
        assert fetch_chain("127.0.0.1", port, "www.example.com", 5)[0] == default.cert


def test_probe_prints_each_certificate_and_writes_the_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = origin_root()
    issuing = origin_intermediate(root)
    leaf = origin_leaf(issuing)
    out = tmp_path / "chain.pem"
    with tls_server(Served(leaf, (issuing,))) as port:
        status = main(
            ["probe", f"127.0.0.1:{port}", "--sni", "origin.example.com", "--out", str(out)]
        )
    printed = capsys.readouterr().out
    assert status == 0
    assert "leaf: CN=origin.example.com,O=Example Origin" in printed
    assert "issuer:   CN=Corp Issuing CA,O=Example Origin" in printed
    assert f"notAfter: {leaf.cert.not_valid_after_utc.isoformat()}" in printed
    assert parse_chain(out.read_text()) == [leaf.cert, issuing.cert]
    assert [p.name for p in tmp_path.iterdir()] == ["chain.pem"]  # no temporary file left


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (plain_server, "does not speak TLS"),
        (silent_server, "did not finish within 1 s"),
    ],
)
def test_probe_names_what_failed(
    server: object, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with server() as port:  # type: ignore[operator]
        status = main(["probe", f"127.0.0.1:{port}", "--timeout", "1"])
    error = capsys.readouterr().err
    assert status == 2
    assert expected in error
    assert "Traceback" not in error


def test_refused_connection_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["probe", f"127.0.0.1:{free_port()}", "--timeout", "2"])
    assert status == 2
    assert "connection refused" in capsys.readouterr().err


def test_unresolvable_name_is_named() -> None:
    with pytest.raises(ProbeError, match="does not resolve"):
        fetch_chain("no-such-host.invalid", 443, None, 2)


def test_failed_write_leaves_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = origin_leaf(origin_root())
    with tls_server(Served(leaf)) as port:
        status = main(["probe", f"127.0.0.1:{port}", "--out", str(tmp_path / "missing" / "c.pem")])
    assert status == 2
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("origin.example.com", "origin.example.com", 443),
        ("10.0.0.1:8443", "10.0.0.1", 8443),
        ("[::1]:443", "::1", 443),
    ],
)
def test_parse_origin(text: str, host: str, port: int) -> None:
    origin = parse_origin(text)
    assert (origin.host, origin.port) == (host, port)


@pytest.mark.parametrize("text", ["host:0", "host:http", ":443", "[::1"])
def test_parse_origin_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"port|host|\]"):
        parse_origin(text)


def test_pack_and_cli_load_without_pyopenssl() -> None:
    """A published pack carries only the policies folder and its requirements (no pyOpenSSL)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['OpenSSL'] = None\n"
        "from policies.cli import build_parser\n"
        "from policies.pack import build_policies\n"
        "assert 'origin-ca-covers-origins' in {p.name for p in build_policies()}\n"
        "build_parser().parse_args(['probe', 'example.com'])\n"
        "print('loaded')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "loaded", done.stderr


def test_a_resolver_that_does_not_answer_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    release = threading.Event()

    def stuck(*args: object, **kwargs: object) -> object:
        release.wait(30)
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    try:
        with pytest.raises(ProbeError, match=r"did not resolve within 0.3 s \(DNS\)"):
            fetch_chain("slow.example", 443, None, 0.3)
    finally:
        release.set()


def test_a_handshake_the_server_aborts_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    leaf = origin_leaf(origin_root())
    with tls_server(Served(leaf), refuse_sni=frozenset({"unknown.example.com"})) as port:
        status = main(["probe", f"127.0.0.1:{port}", "--sni", "unknown.example.com"])
    error = capsys.readouterr().err
    assert status == 2
    assert "the TLS handshake failed" in error
    assert "check the port and the SNI name (--sni)" in error
