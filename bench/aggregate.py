"""Benchmark the aggregator: time `build_report` (all tables and figures) on a synthetic 12,600-run store.

    .venv/bin/python bench/aggregate.py [--store DIR] [--keep] [--json]

The store (the study's full grid: 7 data sets x 6 objectives x 6 strengths x 50 seeds, every score of
docs/architecture.md) is generated first unless --store names one made earlier; generation is timed apart.
Goal (issue 6): the report in under 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from analysis import build_report
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from results_schema import read_table


def main() -> None:
    """Generate (or reuse) the store, time reading it and building the report, print the timings."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, help="reuse (or create) the synthetic store here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store and report")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of text")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-aggregate-"))
    store = args.store or work / "store"
    rows = []
    if not (store / "runs").is_dir():
        start = time.perf_counter()
        written = write_synthetic_store(store, SyntheticSpec(diverged_every=500, uncommitted_jobs=1))
        rows.append(
            {"step": "generate store", "runs": written.num_runs, "seconds": time.perf_counter() - start}
        )
    for table in ("runs", "scores", "train_curves"):
        start = time.perf_counter()
        rows_read = read_table(store, table).num_rows
        rows.append(
            {"step": f"read_table {table}", "rows": rows_read, "seconds": time.perf_counter() - start}
        )
    start = time.perf_counter()
    summary = build_report(store, work / "report")
    rows.append(
        {
            "step": "build_report",
            "runs": summary.runs_used,
            "tables": len(summary.tables),
            "figures": len(summary.figures),
            "seconds": time.perf_counter() - start,
        }
    )
    for row in rows:
        row["machine"] = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores"
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for row in rows:
            print(
                f"{row['step']:<24} {row['seconds']:7.2f} s  "
                + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("step", "seconds", "machine"))
            )
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
