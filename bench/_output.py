"""What every bench script does with its result rows: stamp the machine, print JSON or one line per row."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Iterable


def machine() -> str:
    """The machine a figure was measured on, as the rows record it: architecture and usable cores."""
    return f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"


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
