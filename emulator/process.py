"""Run ``python -m emulator`` as a child process (what the Pulumi end-to-end tests need: the
provider runs in another process, so the API must be on a real port)."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from emulator.control import EmulatorControl
from emulator.lifetime import Lifetime

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmulatorProcess(Lifetime):
    """``with EmulatorProcess(["--deletion-delay", "2"]) as proc:`` → ``proc.base_url``,
    ``proc.root_url``, ``proc.control`` (:class:`EmulatorControl`), ``proc.pid``."""

    def __init__(
        self,
        args: list[str] | None = None,
        *,
        python: str = sys.executable,
        startup_timeout: float = 30.0,
        env: dict[str, str] | None = None,
        keep_responses: bool = False,
    ) -> None:
        self.args = list(args or [])
        if "--port" not in self.args:
            self.args = ["--port", "0", *self.args]
        self._python = python
        self._startup_timeout = startup_timeout
        self._env = env
        self._proc: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self.base_url = ""
        self.root_url = ""
        self.start_line = ""
        self._control: EmulatorControl | None = None
        self._keep_responses = keep_responses
        #: With ``keep_responses``: the API responses it had produced, fetched just before
        #: :meth:`stop` ended it (so they can still be checked after a test stopped it).
        self.responses_at_stop: list[dict[str, Any]] = []
        self.internal_errors_at_stop: list[str] = []

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def control(self) -> EmulatorControl:
        if self._control is None:
            self._control = EmulatorControl(self.root_url)
        return self._control

    def start(self) -> EmulatorProcess:
        env = dict(os.environ if self._env is None else self._env)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            [self._python, "-m", "emulator", *self.args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=str(PROJECT_ROOT),
        )
        assert self._proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + self._startup_timeout
            line = ""
            while not line:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self.stop()
                    raise RuntimeError(f"emulator did not start in {self._startup_timeout}s")
                line = self._proc.stdout.readline()
                if not line:  # EOF: it exited
                    code = self._proc.wait(timeout=5)
                    err = self.stderr()
                    self.stop()
                    raise RuntimeError(f"emulator exited with {code} before serving:\n{err}")
        #: The first line the emulator printed (base URL, then the token it accepts).
        self.start_line = line.rstrip("\n")
        self.base_url = line.split()[0]  # the first field; the rest is for people
        self.root_url = self.base_url.removesuffix("/client/v4")
        return self

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        code = None
        if self._keep_responses and self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                self.responses_at_stop = self.control.responses()
                self.internal_errors_at_stop = self.control.internal_errors()
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=timeout)
            code = self._proc.returncode
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        return code

    def close(self) -> None:
        self.stop()
        self._stderr.close()
