"""`python -m sweep status`: what a results directory holds, what failed, and what a crash left behind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from results_schema import committed_files
from sweep.runner import job_markers
from sweep.store import WRITE_ORDER, orphan_files, recorded_runs, temp_files


def store_status(out: Path) -> dict:
    """Status of `out` as JSON-ready data; a corrupt or foreign store file raises, named (never skipped)."""
    store = Path(out) / "store"
    runs = recorded_runs(store).select(["run_id", "dataset", "objective", "status", "error"]).to_pylist()
    markers = job_markers(out)
    return {
        "out": str(out),
        "runs": len(runs),
        "by_status": dict(Counter(r["status"] for r in runs)),
        "by_partition": [{"dataset": d, "objective": o, "status": s, "runs": n}
                         for (d, o, s), n in sorted(Counter((r["dataset"], r["objective"], r["status"])
                                                            for r in runs).items())],
        "failed": [{"run_id": r["run_id"], "error": (r["error"] or "").splitlines()[0]}
                   for r in runs if r["status"] == "failed"],
        "files": {name: len(committed_files(store, name)) for name in WRITE_ORDER} if store.is_dir() else {},
        "interrupted_writes": ([str(p) for p in [*temp_files(store), *orphan_files(store)]]
                               if store.is_dir() else []),
        "jobs_in_flight_or_abandoned": [json.loads(p.read_text()) for p in markers],
    }


def render(status: dict) -> str:
    """The status as the text `python -m sweep status` prints."""
    counts = ", ".join(f"{n} {s}" for s, n in sorted(status["by_status"].items())) or "nothing recorded yet"
    lines = [f"{status['out']}: {status['runs']} runs recorded ({counts})"]
    partitions: dict[tuple[str, str], list[str]] = {}
    for row in status["by_partition"]:
        partitions.setdefault((row["dataset"], row["objective"]), []).append(f"{row['runs']} {row['status']}")
    lines += [f"  {d} / {o}: {', '.join(parts)}" for (d, o), parts in partitions.items()]
    if status["files"]:
        lines.append("files: " + ", ".join(f"{name} {n}" for name, n in status["files"].items()))
    for failure in status["failed"][:20]:
        lines.append(f"failed {failure['run_id']}: {failure['error']}")
    if len(status["failed"]) > 20:
        lines.append(f"... and {len(status['failed']) - 20} more failed runs (see --json)")
    if status["interrupted_writes"]:
        lines.append(f"{len(status['interrupted_writes'])} file(s) of interrupted writes (never read; "
                     "the next `run` or `compact` removes them)")
    for job in status["jobs_in_flight_or_abandoned"]:
        lines.append(f"job {job['job_id']} ({len(job['runs'])} runs) started on {job['host']} "
                     f"pid {job['pid']}: running, or abandoned by a killed worker (a rerun redoes it)")
    return "\n".join(lines)
