"""The default `map_fn`: a local process pool, so sklearn's single-threaded fits use every core."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from evaluation.fits import MapFn, sequential_map


def default_jobs() -> int:
    """Cores this process may use (its CPU affinity), at least 1."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker when the process that spawned it is gone (killed, not joined),
    instead of idling as an orphan."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def local_map(n_jobs: int | None = None) -> MapFn:
    """Return a `map_fn` running items in `n_jobs` spawned worker processes (None: all cores; 1: in process).

    Workers are spawned, not forked, so a parent holding JAX/XLA threads is safe to parallelize from.
    """
    jobs = default_jobs() if n_jobs is None else n_jobs
    if jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or None (all cores); got {n_jobs}.")
    if jobs == 1:
        return sequential_map

    def pool_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> list:
        items = list(items)
        if len(items) <= 1:
            return sequential_map(fn, items)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(items)),
            mp_context=context,
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            return list(pool.map(fn, items, chunksize=1))

    return pool_map
