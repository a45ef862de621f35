"""What every bench script does with its result rows: stamp the machine, print JSON or one line per row."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Iterable


def machine() -> str:
    """The machine a figure was measured on, as the rows record it: architecture, usable cores, CPU model.

    The model and its widest vector instructions matter: the libraries behind PyTorch and behind XLA:CPU
    make different use of them, and our CPU step against PyTorch's came out level on November's 2-core
    host and 0.79x on an AVX-512 one (docs/benchmarks.md, run M).
    """
    return ", ".join([platform.machine(), f"{len(os.sched_getaffinity(0))} cores", *_cpu_model()])


def _cpu_model() -> list[str]:
    """[model name, widest AVX] from /proc/cpuinfo (Linux); [] where that cannot be read."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            fields = {
                key.strip(): value.strip()
                for key, value in (line.split(":", 1) for line in cpuinfo if ":" in line)
            }
    except OSError:
        return []
    flags = fields.get("flags", "").split()
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return [fields.get("model name", "unknown CPU"), vector]


def key_values(row: dict, skip: Iterable[str] = (), digits: int = 4) -> str:
    """One row as `key=value` pairs, floats to `digits` significant digits, `skip`ped keys left out."""
    return "  ".join(
        f"{key}={value:.{digits}g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in row.items()
        if key not in skip
    )


def print_rows(rows: list[dict], as_json: bool, line: Callable[[dict], str] = key_values) -> None:
    """Print the rows as one indented JSON list, or one `line(row)` each."""
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        print(line(row))
