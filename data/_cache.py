"""On-disk array caches: where they live, written atomically, read back memory-mapped.

Rendered data sets and images converted from published files are stored once as `.npy` and opened with
`mmap_mode="r"`, so every process on a machine (Ray workers, tests) shares one copy through the page cache.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA_ENV = "DISENTANGLEMENT_DATA"
DEFAULT_ROOT = Path("~/.cache/disentanglement_sweep")


def data_root(data_dir: str | Path | None) -> Path:
    """The data directory: `data_dir`, else `$DISENTANGLEMENT_DATA`, else ~/.cache/disentanglement_sweep."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else DEFAULT_ROOT.expanduser()


def source_key(*paths: Path) -> str:
    """A short hash of the files' absolute paths, sizes and modification times, naming a converted cache."""
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def cached_array(
    path: Path, shape: tuple[int, ...], dtype: np.dtype | type, fill: Callable[[np.ndarray], None]
) -> np.ndarray:
    """Open the cached `.npy` at `path` read-only memory-mapped, first building it with `fill` if needed.

    `fill` receives a writable memory map of the given shape and dtype and must write every element. The file
    is written under a temporary name and renamed into place, so a concurrent reader never sees a half-written
    cache and two concurrent builders simply race to the same result.
    """
    dtype = np.dtype(dtype)
    cached = _open_if_valid(path, shape, dtype)
    if cached is not None:
        return cached
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.inprogress")
    try:
        out = np.lib.format.open_memmap(temp, mode="w+", dtype=dtype, shape=shape)
        fill(out)
        out.flush()
        del out
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return np.load(path, mmap_mode="r")


def _open_if_valid(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """The cache at `path` if it opens with the expected shape and dtype, else None (warning if stale)."""
    if not path.exists():
        return None
    try:
        array = np.load(path, mmap_mode="r")
    except (ValueError, OSError) as err:
        warnings.warn(f"rebuilding unreadable cache {path}: {err}", stacklevel=3)
        return None
    if array.shape != tuple(shape) or array.dtype != dtype:
        warnings.warn(
            f"rebuilding cache {path}: found {array.dtype}{list(array.shape)}, expected {dtype}{list(shape)}",
            stacklevel=3,
        )
        return None
    return array


def fill_in_chunks(
    out: np.ndarray, render_rows: Callable[[np.ndarray], np.ndarray], chunk: int = 8192
) -> None:
    """Write `out[i] = render_rows(i)` for every row, `chunk` rows at a time so memory stays bounded."""
    for start in range(0, out.shape[0], chunk):
        rows = np.arange(start, min(start + chunk, out.shape[0]), dtype=np.int64)
        out[start : start + rows.size] = render_rows(rows)
