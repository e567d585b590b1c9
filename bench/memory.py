"""A process's own peak memory, read from /proc while it runs.

``getrusage``'s ``ru_maxrss`` is no good for a child: Linux carries the parent's resident size at
``fork`` into the child's ``ru_maxrss`` across ``exec``, so a small child of a big benchmark
reports the benchmark's size. ``VmHWM`` belongs to the process's own address space, which
``exec`` replaces, so it is the child's alone.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def vm_hwm_kib(pid: int | str) -> int | None:
    """Peak resident set of process ``pid`` so far (KiB); ``None`` once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_sampling_peak(process: subprocess.Popen[str], interval: float = 0.02) -> int:
    """Wait for ``process`` to end; its peak resident set (KiB), sampled every ``interval``.

    The peak only grows, so the last sample before exit is the figure (a spike in the last
    ``interval`` of the run can be missed).
    """
    peak = 0
    while process.poll() is None:
        peak = max(peak, vm_hwm_kib(process.pid) or 0)
        time.sleep(interval)
    return peak
