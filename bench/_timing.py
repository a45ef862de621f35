"""Wall-clock and process CPU time of a block, for the bench scripts that report how busy the cores were."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Elapsed:
    """Seconds a `stopwatch` block took: wall clock, and CPU time of all this process's threads."""

    wall: float = 0.0
    cpu: float = 0.0
    system: float = 0.0
    page_faults: int = 0


@contextmanager
def stopwatch() -> Iterator[Elapsed]:
    """Measure the enclosed block; the yielded `Elapsed` is filled in when the block ends.

    CPU time over wall time says how many cores the block kept busy (spinning thread-pool workers count too);
    `system` (kernel time) and `page_faults` (minor faults: pages mapped in anew) show memory being
    allocated from the operating system (models/host_memory.py).
    """
    elapsed = Elapsed()
    wall, cpu = time.perf_counter(), os.times()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    try:
        yield elapsed
    finally:
        end = os.times()
        elapsed.wall = time.perf_counter() - wall
        elapsed.cpu = (end.user - cpu.user) + (end.system - cpu.system)
        elapsed.system = end.system - cpu.system
        elapsed.page_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
