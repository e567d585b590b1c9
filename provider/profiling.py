"""Where the provider process spends its time, for benchmarks: a sampling profiler, off by default.

The dynamic-provider process serves the engine on a pool of gRPC threads and is killed when the
engine is done with it, so ``cProfile`` (one thread, results written at exit) does not fit; an
external sampler (py-spy, a separate install needing ptrace rights) works but is not in the
requirements. With ``PROVIDER_PROFILE_DIR`` set, a daemon
thread samples every thread's stack every few milliseconds and rewrites
``<dir>/provider-<pid>.txt`` every second: samples by innermost function (self time) and by
every function on the stack (cumulative), busy threads only (a thread waiting for work in the
pool or for a socket counts as idle). ``bench/bench_scale.py --profile DIR`` prints it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

ENV_PROFILE_DIR = "PROVIDER_PROFILE_DIR"
INTERVAL_SECONDS = 0.005
WRITE_EVERY_SECONDS = 1.0
TOP = 25
#: Innermost functions that mean "waiting", not working.
#: (gRPC's ``_serve`` loop blocks in C waiting for the next request.)
_IDLE = frozenset(
    {"wait", "_worker", "select", "poll", "_wait_once", "sleep", "get", "acquire", "_serve"}
)

_started = False
_lock = threading.Lock()


def _where(frame: FrameType) -> str:
    code = frame.f_code
    parts = Path(code.co_filename).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else code.co_filename
    return f"{short}:{code.co_name}"


class Sampler:
    """Counts samples of the busy threads' stacks; see the module docstring."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.self_time: Counter[str] = Counter()
        self.cumulative: Counter[str] = Counter()
        self.busy = 0
        self.idle = 0

    def sample(self, skip: int) -> None:
        for ident, frame in sys._current_frames().items():
            if ident == skip:
                continue
            if frame.f_code.co_name in _IDLE:
                self.idle += 1
                continue
            self.busy += 1
            self.self_time[_where(frame)] += 1
            seen: set[str] = set()
            current: FrameType | None = frame
            while current is not None:
                where = _where(current)
                if where not in seen:
                    seen.add(where)
                    self.cumulative[where] += 1
                current = current.f_back

    def write(self) -> None:
        total = max(1, self.busy)
        lines = [f"busy samples {self.busy}, idle samples {self.idle}", "", "self:"]
        lines += [f"{n / total:7.1%} {n:7d}  {w}" for w, n in self.self_time.most_common(TOP)]
        lines += ["", "cumulative:"]
        lines += [f"{n / total:7.1%} {n:7d}  {w}" for w, n in self.cumulative.most_common(TOP)]
        temporary = self.target.with_suffix(".tmp")
        temporary.write_text("\n".join(lines) + "\n")
        temporary.replace(self.target)

    def run(self) -> None:
        me = threading.get_ident()
        last = time.monotonic()
        while True:
            self.sample(me)
            now = time.monotonic()
            if now - last >= WRITE_EVERY_SECONDS:
                self.write()
                last = now
            time.sleep(INTERVAL_SECONDS)


def start_from_env() -> bool:
    """Start the sampler once per process if ``PROVIDER_PROFILE_DIR`` is set."""
    global _started
    folder = os.environ.get(ENV_PROFILE_DIR, "")
    if not folder:
        return False
    with _lock:
        if _started:
            return True
        target = Path(folder) / f"provider-{os.getpid()}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        sampler = Sampler(target)
        threading.Thread(target=sampler.run, name="provider-profiler", daemon=True).start()
        _started = True
    return True
