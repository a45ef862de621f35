"""Checks made before any job starts: a sweep is refused with one clear message, not failed job by job.

Config values need no check here: the typed configs refused them when the grid was expanded.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from sweep.errors import SweepConfigError
from sweep.grid import RunSpec


def check_data(datasets: Sequence[str], data_dir: str | None) -> list[str]:
    """One problem per data set that can be neither loaded nor rendered (the message says where to get it)."""
    from data import dataset_availability

    return [
        f"data set {name!r} is unavailable: {a.message}"
        for name in datasets
        if not (a := dataset_availability(name, data_dir)).available
    ]


def check_out_dir(out: Path, new_runs: int, checkpoint_bytes_per_run: int) -> list[str]:
    """Problems with the output directory: not writable, or too little space for the new runs' checkpoints."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as err:
        return [
            f"output directory {out} is not writable ({err.strerror or err}); choose another with out=<dir>"
        ]
    need, free = new_runs * checkpoint_bytes_per_run, shutil.disk_usage(out).free
    if need > free:
        return [
            f"too little disk for the checkpoints of {new_runs} runs under {out}: "
            f"about {size_text(need)} needed, {size_text(free)} free; "
            "free space or choose another out=<dir>"
        ]
    return []


def size_text(size: float) -> str:
    """Bytes as MiB below 1 GiB, else GiB, else TiB, to one decimal (e.g. 20.0 MiB, 3.2 GiB)."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size / 2**20:,.1f} MiB"


def preflight(root: DictConfig, runs: Sequence[RunSpec], out: Path, new_runs: int) -> None:
    """Refuse the sweep, naming every problem at once, unless engines, data and output directory are ready."""
    problems = [
        *check_data(sorted({r.dataset for r in runs}), root.data_dir),
        *check_out_dir(out, new_runs, int(root.disk.checkpoint_mib_per_run * 2**20)),
    ]
    if problems:
        raise SweepConfigError("the sweep cannot start:\n  - " + "\n  - ".join(problems))
