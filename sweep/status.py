"""`python -m sweep status`: what a results directory holds, what failed, and what a crash left behind.

It reads every committed file (`sweep.store.check_store`, the rules `run`, `compact` and `report` share): a
corrupt or foreign file raises naming it, and a store that breaks a rule (a `done` run without its scores or
curve, rows without a commit record) is listed with what the next `run` does about it; `problems` is then
non-empty and the command exits non-zero.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import psutil

from sweep.errors import SweepConfigError
from sweep.lock import describe, holder_alive, read_holder
from sweep.runner import job_markers
from sweep.store import check_store


def job_state(job: dict) -> str:
    """running (its worker lives), abandoned (its pid is gone, on this host), or unknown (another host)."""
    if job.get("host") != socket.gethostname():
        return "unknown"
    try:
        process = psutil.Process(int(job["pid"]))
        started = job.get("started")
        alive = started is None or process.create_time() <= started + 1.0
    except (psutil.NoSuchProcess, KeyError, TypeError, ValueError):
        alive = False
    return "running" if alive else "abandoned"


def _markers(out: Path) -> list[dict]:
    jobs = []
    for path in job_markers(out):
        try:
            job = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # removed or half-written while we looked
        jobs.append({**job, "state": job_state(job)})
    return jobs


def store_status(out: Path) -> dict:
    """Status of `out` as JSON-ready data; a corrupt or foreign store file raises, named (never skipped)."""
    out = Path(out)
    if not out.is_dir():
        raise SweepConfigError(f"no sweep output at {out}: the directory does not exist (check out=)")
    store = out / "store"
    check = check_store(store)
    runs = check.runs.to_pylist()
    holder = read_holder(out)
    lock = None
    if holder:
        alive = holder_alive(holder)
        lock = {**holder, "state": {True: "running", False: "gone", None: "unknown"}[alive]}
    return {
        "out": str(out),
        "runs": len(runs),
        "by_status": dict(Counter(r["status"] for r in runs)),
        "by_partition": [
            {"dataset": d, "objective": o, "status": s, "runs": n}
            for (d, o, s), n in sorted(
                Counter((r["dataset"], r["objective"], r["status"]) for r in runs).items()
            )
        ],
        "failed": [
            {"run_id": r["run_id"], "error": (r["error"] or "").splitlines()[0]}
            for r in runs
            if r["status"] == "failed"
        ],
        "files": check.files,
        "interrupted_writes": [str(p) for p in check.interrupted],
        "incomplete": {run_id: list(tables) for run_id, tables in sorted(check.incomplete.items())},
        "stray_rows": {
            name: {str(p): sorted(ids) for p, ids in files.items()} for name, files in check.stray.items()
        },
        "problems": check.problems(),
        "jobs": _markers(out),
        "lock": lock,
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
        lines.append(
            f"{len(status['interrupted_writes'])} file(s) of interrupted writes (never read; "
            "the next `run` or `compact` removes them)"
        )
    for problem in status["problems"]:
        lines.append(f"inconsistent: {problem}")
    if status["problems"]:
        lines.append(
            "the next `run` of the same grid evaluates incomplete runs again from their checkpoints "
            "and drops rows without a commit record"
        )
    lock = status["lock"]
    if lock:
        state = {
            "running": "holds the lock",
            "gone": "left the lock behind (the next run takes it over)",
            "unknown": "holds the lock (on another host)",
        }[lock["state"]]
        lines.append(f"{describe(lock)} {state}")
    for job in status["jobs"]:
        what = {
            "running": "running",
            "abandoned": "abandoned (its process is gone; a rerun redoes it)",
            "unknown": "running on another host, or abandoned by a killed worker (a rerun redoes it)",
        }
        lines.append(
            f"job {job['job_id']} ({len(job['runs'])} runs) started on {job['host']} "
            f"pid {job['pid']}{_progress(job)}: {what[job['state']]}"
        )
    return "\n".join(lines)


def _progress(job: dict) -> str:
    return f", step {job['step']:,} of {job['total']:,}" if job.get("total") else ""
