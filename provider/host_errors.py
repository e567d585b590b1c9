"""Expected failures reach the user as our message, first and alone.

Pulumi's Python dynamic-provider host (``python -m pulumi.dynamic``) wraps every operation in
``except Exception: context.abort(UNKNOWN, traceback.format_exc())``: a wrong token became
about a hundred lines of httpx, tenacity and futures frames with our message last. The host
offers no hook, so the host's ``traceback`` reference is replaced by :class:`_HostTraceback`,
whose ``format_exc`` returns the message alone for a ``TrustStoreError`` (our expected
failures) and the full traceback for anything else (a bug still shows where it happened).
Each operation is wrapped (:func:`expected_failures`) to add what the operation knows to the
message (``user_text``), keeping the error's type for callers and tests. Only the host
process is touched: the module-level ``traceback`` of ``pulumi.dynamic.__main__``, nothing
global.

Refresh and destroy run with the provider configuration stored in state by the last
successful ``pulumi up`` (the program does not run): authentication, network and
configuration failures say so, and how to make the fixed configuration count.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from provider.client import ENV_BASE_URL
from provider.config import CONFIG_API_KEY, CONFIG_API_TOKEN, CONFIG_BASE_URL, CONFIG_EMAIL
from provider.credentials import ENV_API_KEY, ENV_API_TOKEN, ENV_EMAIL
from provider.errors import (
    AuthenticationError,
    ConfigurationError,
    TransportError,
    TrustStoreError,
)

_F = TypeVar("_F", bound=Callable[..., Any])
_HOST_MODULE = "pulumi.dynamic.__main__"

#: Appended where stale stored provider settings are a likely cause.
STALE_CONFIG_HINT = (
    " If you have fixed the credentials or base URL since, note that `pulumi refresh` and"
    " `pulumi destroy` use the settings stored by the last `pulumi up`: run `pulumi up` (or"
    " `pulumi refresh --run-program` / `pulumi destroy --run-program`) so they take effect."
)
_STALE_PRONE = (AuthenticationError, ConfigurationError, TransportError)


#: Environment variables named in hints -> the stack config key meaning the same.
_CONFIG_NAMES = {
    ENV_BASE_URL: CONFIG_BASE_URL,
    ENV_API_TOKEN: CONFIG_API_TOKEN,
    ENV_API_KEY: CONFIG_API_KEY,
    ENV_EMAIL: CONFIG_EMAIL,
}


def user_message(error: TrustStoreError, operation: str, config_keys: Collection[str] = ()) -> str:
    """The message as the user should read it: hints name the stack config keys the user set
    instead of the environment variables, and refresh/destroy mention the stored settings."""
    text = str(error)
    for env_name, config_key in _CONFIG_NAMES.items():
        if config_key in config_keys:
            text = text.replace(env_name, f"{config_key} (stack config)")
    if isinstance(error, _STALE_PRONE) and operation in ("read", "delete"):
        text += STALE_CONFIG_HINT
    return text


def expected_failures(method: _F) -> _F:
    """Complete the message of a ``TrustStoreError`` raised by a provider operation."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except TrustStoreError as error:
            keys = getattr(args[0], "config_keys", ()) if args else ()
            text = user_message(error, method.__name__, keys)
            error.user_text = text  # type: ignore[attr-defined]
            raise

    return cast(_F, wrapper)


class _HostTraceback:
    """Stands in for the ``traceback`` module inside Pulumi's dynamic-provider host."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, TrustStoreError):
            return str(getattr(error, "user_text", error))
        return traceback.format_exc(limit=limit, chain=chain)


def install() -> None:
    """Make the dynamic-provider host print expected failures as their message alone; a no-op
    in any other process (the program, tests, the policy pack)."""
    host = sys.modules.get(_HOST_MODULE)
    main = sys.modules.get("__main__")
    if main is not None and getattr(getattr(main, "__spec__", None), "name", None) == _HOST_MODULE:
        host = main
    if host is not None and getattr(host, "traceback", None) is traceback:
        host.traceback = _HostTraceback()  # type: ignore[attr-defined]
