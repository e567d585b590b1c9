"""``with`` for the emulator's long-lived handles (server, child process, control client)."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Lifetime:
    """``with handle:`` starts it and closes it at the end, whatever happened inside."""

    def start(self) -> Self:
        return self

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
