"""glibc malloc settings under which XLA:CPU reuses one step's scratch memory in the next.

XLA:CPU allocates a compiled program's scratch memory (the activations kept for the backward pass) when an
execution starts and frees it when it ends. glibc serves allocations above its mmap threshold (at most 32 MB)
with a fresh `mmap` and returns them with `munmap`, so every step would fault in, and the kernel zero, the
whole scratch again. With one malloc arena, no mmap allocations and a trim threshold above the scratch size,
the freed scratch stays in the heap and the next step reuses it. Resident memory may settle a scratch or two
higher. The figures are in docs/benchmarks.md ("Why our own convolutions"; runs H and I).

The scratch is allocated on XLA's own threads, and glibc ties a thread to an arena at its first allocation,
so the settings only work when applied before JAX starts its CPU backend (before the first computation).
They change how memory is allocated, never what is computed.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os
import platform

# mallopt(3) parameter numbers (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8

TRIM_THRESHOLD_BYTES = 2**31 - 1
"""Free memory at the top of the heap beyond this goes back to the system: the largest value mallopt takes (a
C int), above the scratch of two overlapping steps of 8 replicas (about 1.3 GB)."""

_applied = False


def keep_scratch_memory() -> bool:
    """Apply the malloc settings to this process when JAX will compute on the CPU; True once they apply.

    Does nothing (False) where the C library is not glibc, or where JAX will use an accelerator: then the
    scratch lives in device memory, and the settings would only add contention to the host's malloc.
    Idempotent; `sweep train`, each sweep job, `bench/train.py` and the tests call it before JAX starts.
    """
    global _applied
    if _applied:
        return True
    if platform.libc_ver()[0] != "glibc" or not _jax_runs_on_cpu():
        return False
    _mallopt(_M_ARENA_MAX, 1)
    reuse_freed_memory(True)
    _applied = True
    return True


def reuse_freed_memory(enabled: bool) -> None:
    """Keep freed memory in the heap (no mmap, 2 GiB trim threshold), or go back to mmap for large blocks
    (glibc's default limits: 65,536 mmaps, 128 KiB trim threshold, no adaptive threshold).

    Unlike the arena setting this can change at any time; `bench/train.py --scratch-memory` toggles it to
    time both in one process.
    """
    _mallopt(_M_MMAP_MAX, 0 if enabled else 65536)
    _mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES if enabled else 128 * 1024)


def _mallopt(parameter: int, value: int) -> None:
    if ctypes.CDLL("libc.so.6").mallopt(parameter, value) != 1:
        raise OSError(f"glibc rejected mallopt({parameter}, {value})")


def _jax_runs_on_cpu() -> bool:
    """Whether JAX's default backend will be the CPU, decided without starting any backend.

    JAX_PLATFORMS names the platforms in order of preference; unset, JAX picks an accelerator exactly when a
    PJRT plugin (jax_cuda12_plugin, libtpu, ...) is installed.
    """
    platforms = os.environ.get("JAX_PLATFORMS", "").strip()
    if platforms:
        return platforms.split(",")[0].strip() == "cpu"
    if importlib.metadata.entry_points(group="jax_plugins"):
        return False
    return not any(importlib.util.find_spec(name) for name in ("jax_plugins", "libtpu"))
