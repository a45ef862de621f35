"""Wall-clock and process CPU time of a block, for the bench scripts that report how busy the cores were."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Elapsed:
    """Seconds a `stopwatch` block took: wall clock, and CPU time of all this process's threads."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Elapsed]:
    """Measure the enclosed block; the yielded `Elapsed` is filled in when the block ends.

    CPU time over wall time says how many cores the block kept busy (spinning thread-pool workers count too).
    """
    elapsed = Elapsed()
    wall, cpu = time.perf_counter(), os.times()
    try:
        yield elapsed
    finally:
        end = os.times()
        elapsed.wall = time.perf_counter() - wall
        elapsed.cpu = (end.user - cpu.user) + (end.system - cpu.system)
