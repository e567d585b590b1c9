"""The provider's pacing: the stack's ``rateLimit`` reaches the process's bucket, wins over the
environment, and a wait is said on the waiting resource's line (provider.progress)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from provider import pacing, progress
from provider.errors import ConfigurationError
from provider.pacing import RateLimit
from provider.resource import CustomOriginTrustStoreProvider

URN = "urn:pulumi:dev::trust::pulumi-python:dynamic/cloudflare:CustomOriginTrustStore::ca-1"


@pytest.fixture(autouse=True)
def fresh_process_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "_process_configured", False)
    monkeypatch.setattr(pacing, "_process_pacer", None)
    monkeypatch.delenv(pacing.ENV_RATE_LIMIT, raising=False)


def configure(**config: str) -> CustomOriginTrustStoreProvider:
    provider = CustomOriginTrustStoreProvider()
    full = {"cloudflare:apiToken": "t" * 40, "cloudflare:baseUrl": "http://127.0.0.1:9/v4"}
    full.update({f"unit:{key}": value for key, value in config.items()})
    provider.configure(ConfigureRequest(Config(full, "unit")))
    return provider


def test_stack_rate_limit_configures_the_process_bucket_and_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(pacing.ENV_RATE_LIMIT, "600/300")
    provider = configure(rateLimit="30/60")
    pacer = pacing.process_pacer()
    assert pacer is not None
    assert pacer.limit == RateLimit(30, 60)
    assert provider._client()._pacer is pacer
    provider.close()


def test_without_stack_config_the_environment_then_cloudflares_limit_applies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(pacing.ENV_RATE_LIMIT, "600/300")
    provider = configure()
    assert provider._client()._pacer is not None
    assert provider._client()._pacer.limit == RateLimit(600, 300)
    provider.close()


def test_a_malformed_stack_rate_limit_is_refused_on_first_use_naming_the_key() -> None:
    provider = configure(rateLimit="fast")
    with pytest.raises(ConfigurationError) as refused:
        provider._client()
    assert str(refused.value).startswith("Stack config rateLimit is 'fast', which is not a rate")


def serve(request: object) -> str | None:
    """Stands in for the host's handler frame: a local named ``request`` carrying the URN."""
    assert request is not None
    return nested()


def nested() -> str | None:
    return progress.current_urn()


def test_the_urn_is_found_on_the_serving_threads_stack_and_only_there() -> None:
    assert serve(SimpleNamespace(urn=URN)) == URN
    assert serve(SimpleNamespace(urn="")) is None
    assert progress.current_urn() is None


def test_outside_the_provider_host_a_wait_is_logged_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert progress.engine_address() is None  # pytest is not pulumi.dynamic's host
    assert progress.engine_address(["host", "127.0.0.1:41234"]) == "127.0.0.1:41234"
    announce = progress.on_pacing_wait("30/60s")
    with caplog.at_level("INFO", logger="provider.progress"):
        announce(12.4)
    assert "waiting 12 s for the Cloudflare API rate limit (30/60s;" in caplog.text
    assert sys.modules["provider.progress"] is progress


def test_the_program_refuses_a_malformed_rate_limit_before_the_engine_runs() -> None:
    from provider.program import ProgramConfigError, check_rate_limit

    check_rate_limit("1200/300")
    check_rate_limit("off")
    with pytest.raises(ProgramConfigError, match=r"^Stack config rateLimit is '12/0'"):
        check_rate_limit("12/0")
