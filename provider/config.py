"""Where the provider finds its Cloudflare credentials and API base URL.

The names are the official Cloudflare Pulumi provider's, so one stack configuration serves
both (pulumi-cloudflare v6 README, "Configuration"):

===========================  ==========================  ===================================
stack config                 environment variable        meaning
===========================  ==========================  ===================================
``cloudflare:apiToken``      ``CLOUDFLARE_API_TOKEN``    API token (preferred; set --secret)
``cloudflare:apiKey``        ``CLOUDFLARE_API_KEY``      legacy global API key (with email)
``cloudflare:email``         ``CLOUDFLARE_EMAIL``        account email for the legacy key
``cloudflare:baseUrl``       ``CLOUDFLARE_BASE_URL``     API base URL (default: Cloudflare's)
===========================  ==========================  ===================================

Stack configuration wins over the environment, as an explicit provider argument does in the
official provider; a token wins over the email + key pair. Credentials are resolved on every
call from what ``configure()`` was handed; nothing resolved here is pickled into state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provider.client import DEFAULT_BASE_URL, ENV_BASE_URL
from provider.credentials import (
    ENV_API_KEY,
    ENV_API_TOKEN,
    ENV_EMAIL,
    ApiKey,
    ApiToken,
    Credentials,
    credentials_from_env,
)
from provider.errors import ConfigurationError

CONFIG_API_TOKEN = "cloudflare:apiToken"  # noqa: S105 - a config key, not a secret
CONFIG_API_KEY = "cloudflare:apiKey"
CONFIG_EMAIL = "cloudflare:email"
CONFIG_BASE_URL = "cloudflare:baseUrl"


@dataclass(frozen=True)
class ClientSettings:
    """What a client needs; holds credentials, which refuse to be pickled or copied."""

    credentials: Credentials
    base_url: str


def _text(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"Stack config {key} must be a string.")
    return value


def credentials_from_config(config: Mapping[str, Any], environ: Mapping[str, str]) -> Credentials:
    """Credentials from stack config if any credential key is set there, else the environment."""
    token = _text(config, CONFIG_API_TOKEN)
    email, key = _text(config, CONFIG_EMAIL), _text(config, CONFIG_API_KEY)
    if token:
        return ApiToken(token)
    if email and key:
        return ApiKey(email, key)
    if key:
        # The email may come from the environment: it is not a secret.
        env_email = environ.get(ENV_EMAIL, "")
        if env_email:
            return ApiKey(env_email, key)
        raise ConfigurationError(
            f"{CONFIG_API_KEY} is set but no account email: `pulumi config set {CONFIG_EMAIL}"
            f" you@example.com` (or set {ENV_EMAIL}); better, use an API token in"
            f" {CONFIG_API_TOKEN}."
        )
    try:
        return credentials_from_env(environ)
    except ConfigurationError:
        # The environment's own message would say the same once more.
        raise ConfigurationError(
            f"No Cloudflare credentials: `pulumi config set --secret {CONFIG_API_TOKEN}`, or"
            f" set {ENV_API_TOKEN} (legacy: {CONFIG_EMAIL} + {CONFIG_API_KEY}, or {ENV_EMAIL} +"
            f" {ENV_API_KEY})."
        ) from None


def base_url_from_config(config: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """The API base URL: stack config, then CLOUDFLARE_BASE_URL, then Cloudflare's own."""
    return _text(config, CONFIG_BASE_URL) or environ.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL


def resolve_settings(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> ClientSettings:
    """Client settings from the stack config ``configure()`` received and the environment."""
    env = os.environ if environ is None else environ
    return ClientSettings(
        credentials=credentials_from_config(config, env),
        base_url=base_url_from_config(config, env),
    )
