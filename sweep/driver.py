"""`python -m sweep run`: expand the grid, skip what the store holds, run the rest as Ray jobs, commit each.

The store is the only state: a rerun after any crash recovers interrupted writes, skips runs already recorded,
retries failed ones (unless `retry_failed=false`) and resumes the others from their checkpoints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from sweep.errors import SweepConfigError
from sweep.grid import RunSpec, expand_grid
from sweep.launcher import replicas_per_job, resolve_platform
from sweep.packing import pack
from sweep.preflight import check_out_dir, preflight
from sweep.progress import Progress
from sweep.records import failed_rows, to_tables
from sweep.runner import JobContext, job_markers
from sweep.store import commit_job, recorded_runs, recover, retire_runs


@dataclass(frozen=True)
class SweepSummary:
    """The outcome of `run`: status counts over the whole grid and where things are."""

    grid: str
    total: int
    counts: dict[str, int]
    store: Path
    recovered: int

    def render(self) -> str:
        """One line for the terminal."""
        counts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in ("done", "diverged", "failed"))
        return f"grid {self.grid}: {self.total} runs: {counts}. Results: {self.store}"


def _todo(runs: Sequence[RunSpec], store: Path, retry_failed: bool
          ) -> tuple[list[RunSpec], Counter, set[str]]:
    """Runs still to do, status counts of the grid's recorded runs, and the failed run_ids to retire first."""
    recorded = recorded_runs(store).select(["run_id", "status"]).to_pylist()
    status = {row["run_id"]: row["status"] for row in recorded}
    grid_status = {r.run_id: status[r.run_id] for r in runs if r.run_id in status}
    retry = {rid for rid, s in grid_status.items() if s == "failed"} if retry_failed else set()
    todo = [r for r in runs if r.run_id not in grid_status or r.run_id in retry]
    kept = Counter(s for rid, s in grid_status.items() if rid not in retry)
    return todo, kept, retry


def run_sweep(overrides: Sequence[str], show_progress: bool = True) -> SweepSummary:
    """Run the grid the overrides describe; returns the summary once every run is recorded."""
    root, runs = expand_grid(overrides)
    out = Path(root.out).resolve()
    store = out / "store"
    problems = check_out_dir(out, 0, 0)
    if problems:
        raise SweepConfigError("the sweep cannot start:\n  - " + problems[0])
    recovered = recover(store) if store.exists() else []
    todo, counts, retry = _todo(runs, store, bool(root.retry_failed))
    preflight(root, runs, out, len(todo))
    if retry:
        retire_runs(store, retry)
    for marker in job_markers(out):  # one driver per out=: any marker left is from a killed session
        marker.unlink()
    if todo:
        counts = _execute(root, todo, counts, len(runs), out, store, show_progress)
    return SweepSummary(root.grid.name, len(runs), dict(counts), store, len(recovered))


def _execute(root: DictConfig, todo: list[RunSpec], counts: Counter, total: int, out: Path, store: Path,
             show_progress: bool) -> Counter:
    """Run `todo` as Ray jobs, committing each job's rows as it finishes; returns the grid's status counts."""
    import ray

    from sweep.ray_backend import JobSubmitter, connect, job_cpus, ray_platform

    connected_here = not ray.is_initialized()
    where = connect(root.launcher)
    try:
        platform = resolve_platform(root.launcher, ray_platform)
        jobs = pack(todo, replicas_per_job(root.launcher, platform))
        absolute = lambda path: str(Path(path).resolve()) if path else None  # workers may run elsewhere
        ctx = JobContext(str(out), root.grid.name, absolute(root.data_dir),
                         tuple(root.launcher.transient_errors), absolute(root.compilation_cache),
                         fit_processes=job_cpus(root.launcher))
        if show_progress:
            print(f"{len(todo)} runs to do in {len(jobs)} jobs on {where}", flush=True)
        submitter = JobSubmitter(root.launcher, ctx)
        pending = {submitter.submit(job): job for job in jobs}
        recorded = set(recorded_runs(store).column("run_id").to_pylist())
        progress = Progress(total, counts, enabled=show_progress)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ready[0])
                try:
                    rows = ray.get(ready[0])
                except ray.exceptions.RayError as err:
                    error = f"{type(err).__name__}: {err}"  # the worker is gone: its host is unknown
                    rows = {"runs": failed_rows(job.runs, job.job_id, ctx.sweep, error, host="unknown")}
                commit_job(store, job.dataset, job.objective, job.job_id, to_tables(rows), recorded)
                ctx.marker(job.job_id).unlink(missing_ok=True)
                progress.update(row["status"] for row in rows["runs"])
        finally:
            progress.close()
        return progress.counts
    finally:
        if connected_here:
            ray.shutdown()
