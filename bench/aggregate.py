"""Benchmark the aggregator: time `build_report` (all tables and figures) on a synthetic 12,600-run store.

    .venv/bin/python bench/aggregate.py [--store DIR] [--json]

The store (the study's full grid: 7 data sets x 6 objectives x 6 strengths x 50 seeds with every score name
of docs/architecture.md, 2.15 M score rows) is generated first unless --store names one made earlier by this
script; generation is timed apart. Goal (issue 6): the report in under 30 s on a 2-core machine. Each step
reports wall-clock and CPU seconds (CPU shows the work when other processes share the machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _output import machine, print_rows

from analysis import build_report
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from results_schema import read_table


def timed(step: str, work: Callable[[], dict]) -> dict:
    """Run `work` and return its result row with the step name, wall and CPU seconds and the load average."""
    wall, cpu = time.perf_counter(), time.process_time()
    row = work()
    return {
        "step": step,
        **row,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "load_avg_1min": os.getloadavg()[0],
    }


def _line(row: dict) -> str:
    extra = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("step", "wall_s", "cpu_s"))
    return f"{row['step']:<24} wall {row['wall_s']:6.2f} s  cpu {row['cpu_s']:6.2f} s  {extra}"


def main() -> None:
    """Generate (or reuse) the store, time reading each table and building the report, print the rows."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, help="reuse the synthetic store here (created if absent)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows instead of text")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-aggregate-"))
    store = args.store or work / "store"
    rows = []
    if not (store / "runs").is_dir():
        spec = SyntheticSpec(diverged_every=500, uncommitted_jobs=1)
        rows.append(timed("generate store", lambda: {"runs": write_synthetic_store(store, spec).num_runs}))
    for table in ("runs", "scores", "train_curves"):
        rows.append(timed(f"read_table {table}", lambda t=table: {"rows": read_table(store, t).num_rows}))

    def report() -> dict:
        summary = build_report(store, work / "report")
        return {"runs": summary.runs_used, "tables": len(summary.tables), "figures": len(summary.figures)}

    rows.append(timed("build_report", report))
    for row in rows:
        row["machine"] = machine()
    print_rows(rows, args.json, _line)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
