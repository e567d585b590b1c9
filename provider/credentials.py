"""Cloudflare credentials that keep their secret out of reprs, logs, messages and pickles.

Two forms, as Cloudflare accepts them: an API token (``Authorization: Bearer``), preferred
because it can be scoped to one zone; or an account email with the global API key
(``X-Auth-Email`` / ``X-Auth-Key``). Credential objects refuse to be pickled or copied, so a
secret cannot slip into Pulumi state through a pickled provider: read them from configuration
where they are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn

from provider.errors import ConfigurationError
from provider.redaction import REDACTED

ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_EMAIL = "CLOUDFLARE_EMAIL"
ENV_API_KEY = "CLOUDFLARE_API_KEY"


def _check_header_value(value: object, what: str) -> str:
    """Refuse values that are empty or would break (or inject into) an HTTP header."""
    if not isinstance(value, str):
        raise ConfigurationError(f"The {what} must be a string, not {type(value).__name__}.")
    if not value.strip():
        raise ConfigurationError(f"The {what} is empty; set it to a Cloudflare credential.")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        # Never quote the value: it is a secret.
        raise ConfigurationError(
            f"The {what} contains whitespace or control characters; copy it again without"
            " surrounding spaces or line breaks."
        )
    if not value.isascii():
        raise ConfigurationError(f"The {what} contains non-ASCII characters; copy it again.")
    return value


class _Secretive:
    """Refuses pickling and copying, which would write the secret out."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} holds a secret and cannot be pickled or copied; read the"
            " credential from configuration where it is used instead of storing it."
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class ApiToken(_Secretive):
    """A Cloudflare API token, sent as ``Authorization: Bearer <token>``."""

    __slots__ = ("_token",)
    _token: str

    def __init__(self, token: str) -> None:
        object.__setattr__(self, "_token", _check_header_value(token, "API token"))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output (used to scrub server text)."""
        return (self._token,)

    def __repr__(self) -> str:
        return f"ApiToken(token={REDACTED})"

    __str__ = __repr__


class ApiKey(_Secretive):
    """An account email with the global API key, sent as ``X-Auth-Email``/``X-Auth-Key``."""

    __slots__ = ("_key", "email")
    email: str
    _key: str

    def __init__(self, email: str, key: str) -> None:
        email = _check_header_value(email, "account email")
        if "@" not in email:
            raise ConfigurationError(
                f"The account email {email!r} is not an email address; give the email of the"
                " Cloudflare account that owns the global API key."
            )
        object.__setattr__(self, "email", email)
        object.__setattr__(self, "_key", _check_header_value(key, "global API key"))

    def auth_headers(self) -> dict[str, str]:
        return {"X-Auth-Email": self.email, "X-Auth-Key": self._key}

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output (used to scrub server text)."""
        return (self._key,)

    def __repr__(self) -> str:
        return f"ApiKey(email={self.email!r}, key={REDACTED})"

    __str__ = __repr__


Credentials = ApiToken | ApiKey


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    """Read credentials as the official SDK does; a token wins over email + global key."""
    env = os.environ if environ is None else environ
    token = env.get(ENV_API_TOKEN, "")
    if token:
        return ApiToken(token)
    email, key = env.get(ENV_EMAIL, ""), env.get(ENV_API_KEY, "")
    if email and key:
        return ApiKey(email, key)
    if email or key:
        missing = ENV_API_KEY if email else ENV_EMAIL
        raise ConfigurationError(
            f"{ENV_EMAIL} and {ENV_API_KEY} go together, but {missing} is not set; set it, or"
            f" set {ENV_API_TOKEN} instead (preferred)."
        )
    raise ConfigurationError(
        f"No Cloudflare credentials: set {ENV_API_TOKEN} (preferred), or {ENV_EMAIL} and"
        f" {ENV_API_KEY}."
    )
