"""The default `map_fn`: a local process pool, so sklearn's single-threaded fits use every core.

The pool of each size is started once per process and reused by every later call: spawning workers and
importing sklearn in them costs seconds (about 5 s for two workers on a 2-core machine), as much as all of
LightGBM's fits for one model, and a sweep worker evaluates job after job.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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


# Keyed by (owner pid, workers): a process forked from the owner inherits the dict but not the workers.
_POOLS: dict[tuple[int, int], ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int) -> ProcessPoolExecutor:
    """This process's pool of `workers` spawned processes, started on first use."""
    key = (os.getpid(), workers)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _POOLS[key]


def _discard_pool(workers: int) -> None:
    with _POOLS_LOCK:
        pool = _POOLS.pop((os.getpid(), workers), None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown_pools() -> None:
    for owner, workers in list(_POOLS):
        if owner == os.getpid():
            _discard_pool(workers)


def local_map(n_jobs: int | None = None) -> MapFn:
    """Return a `map_fn` running items in `n_jobs` spawned worker processes (None: all cores; 1: in process).

    Workers are spawned, not forked, so a parent holding JAX/XLA threads is safe to parallelize from. A pool
    whose worker died (killed, out of memory) is discarded, so the next call starts a fresh one; the call that
    saw it die raises `BrokenProcessPool`.
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
        try:
            return list(_pool(jobs).map(fn, items, chunksize=1))
        except BrokenProcessPool:
            _discard_pool(jobs)
            raise

    return pool_map
