"""`python -m sweep run`: expand the grid, skip what the store holds, run the rest as Ray jobs, commit each.

The store is the only state: a rerun after any crash recovers interrupted writes, skips runs already recorded,
retries failed ones (unless `retry_failed=false`), evaluates again the `done` runs whose scores or curve are
missing (from their checkpoints), and resumes the others from their checkpoints. One driver per out=
directory: `run` holds `<out>/sweep.lock` (sweep.lock) from before it reads the store until it ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from sweep.errors import SweepConfigError
from sweep.grid import RunSpec, expand_grid
from sweep.launcher import replicas_per_job, resolve_platform, throughput
from sweep.lock import exclusive
from sweep.packing import Job, pack
from sweep.preflight import check_out_dir, preflight
from sweep.progress import Progress
from sweep.records import failed_rows, to_tables
from sweep.runner import JobContext, job_markers
from sweep.store import StoreCheck, check_store, commit_job, recorded_runs, recover, repair

# `run` warns before a grid whose remaining runs are planned at more device-hours than this on this host.
WARN_DEVICE_HOURS = 24.0


@dataclass(frozen=True)
class SweepSummary:
    """The outcome of `run`: status counts over the whole grid and where things are."""

    grid: str
    total: int
    counts: dict[str, int]
    store: Path
    recovered: int
    reevaluated: int = 0

    def render(self) -> str:
        """One line for the terminal."""
        counts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in ("done", "diverged", "failed"))
        return f"grid {self.grid}: {self.total} runs: {counts}. Results: {self.store}"

    @property
    def complete(self) -> bool:
        """Whether every run of the grid ended with a final outcome: done or diverged (none failed)."""
        return self.counts.get("failed", 0) == 0 and sum(self.counts.values()) == self.total


def _todo(
    runs: Sequence[RunSpec], check: StoreCheck, retry_failed: bool
) -> tuple[list[RunSpec], Counter, set[str]]:
    """Runs still to do, status counts of the grid's kept runs, and the run_ids to retire first.

    Retired are the failed runs (when retried) and the `done` runs without scores or curve (always: their
    result is incomplete, and their checkpoint makes the redo an evaluation).
    """
    status = dict(
        zip(check.runs.column("run_id").to_pylist(), check.runs.column("status").to_pylist(), strict=True)
    )
    grid_status = {r.run_id: status[r.run_id] for r in runs if r.run_id in status}
    retry = {rid for rid, s in grid_status.items() if s == "failed"} if retry_failed else set()
    retry |= {rid for rid in grid_status if rid in check.incomplete}
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
    with exclusive(out, "run"):
        recovered = recover(store) if store.exists() else []
        check = check_store(store)  # a corrupt or foreign file stops the sweep here, named
        todo, counts, retry = _todo(runs, check, bool(root.retry_failed))
        preflight(root, runs, out, len(todo))
        incomplete = len(retry & set(check.incomplete))
        if incomplete and show_progress:
            print(
                f"{incomplete} run(s) recorded done lack scores or a training curve: evaluating them again "
                "from their checkpoints",
                flush=True,
            )
        repair(store, check, retry)
        for marker in job_markers(out):  # the lock is ours: any marker left is from a killed session
            marker.unlink()
        if todo:
            counts = _execute(root, todo, counts, len(runs), out, store, show_progress)
    return SweepSummary(root.grid.name, len(runs), dict(counts), store, len(recovered), incomplete)


def _warn_if_long(jobs: Sequence[Job], platform: str) -> None:
    """Warn (stderr) when the plan's device-hours for the remaining runs exceed a day on this platform."""
    from sweep.plan import estimate

    hours, _ = estimate(jobs, throughput(platform))
    if hours is not None and hours > WARN_DEVICE_HOURS:
        runs = sum(len(j.runs) for j in jobs)
        print(
            f"warning: the {runs} runs to do are planned at {hours:,.1f} device-hours on {platform} "
            f"(`python -m sweep plan` with the same arguments), more than a day; Ctrl-C stops the sweep "
            "and the same command resumes it",
            file=sys.stderr,
            flush=True,
        )


def _execute(
    root: DictConfig,
    todo: list[RunSpec],
    counts: Counter,
    total: int,
    out: Path,
    store: Path,
    show_progress: bool,
) -> Counter:
    """Run `todo` as Ray jobs, committing each job's rows as it finishes; returns the grid's status counts."""
    import ray

    from sweep.ray_backend import JobSubmitter, connect, job_cpus, ray_platform

    connected_here = not ray.is_initialized()
    where = connect(root.launcher)
    embedded = connected_here and not (root.launcher.address or os.environ.get("RAY_ADDRESS"))
    watchdog = start_watchdog() if embedded else None
    try:
        platform = resolve_platform(root.launcher, ray_platform)
        jobs = pack(todo, replicas_per_job(root.launcher, platform))
        _warn_if_long(jobs, platform)
        absolute = lambda path: str(Path(path).resolve()) if path else None  # workers may run elsewhere
        ctx = JobContext(
            str(out),
            root.grid.name,
            absolute(root.data_dir),
            tuple(root.launcher.transient_errors),
            absolute(root.compilation_cache),
            fit_processes=job_cpus(root.launcher),
        )
        if show_progress:
            print(f"{len(todo)} runs to do in {len(jobs)} jobs on {where}", flush=True)
        submitter = JobSubmitter(root.launcher, ctx)
        pending = {submitter.submit(job): job for job in jobs}
        recorded = set(recorded_runs(store).column("run_id").to_pylist())
        progress = Progress(total, int(root.train.steps), counts, enabled=show_progress)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=2.0)
                if not ready:
                    progress.in_flight(_in_flight(ctx, pending.values()))
                    continue
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
            with _ignoring_interrupts():  # a second Ctrl-C must not cut Ray's shutdown short
                ray.shutdown()
        if watchdog is not None:  # it ends what Ray's shutdown left (its agents), then exits
            with _ignoring_interrupts():
                watchdog.send_signal(signal.SIGUSR1)
                try:
                    watchdog.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    watchdog.kill()


def _in_flight(ctx: JobContext, jobs) -> dict[str, tuple[float, int]]:
    """job_id -> (fraction of training done, runs) from the markers of jobs in flight."""
    fractions = {}
    for job in jobs:
        try:
            marker = json.loads(ctx.marker(job.job_id).read_text())
        except (OSError, ValueError):
            continue
        if marker.get("total"):
            fractions[job.job_id] = (min(1.0, marker["step"] / marker["total"]), len(job.runs))
    return fractions


@contextmanager
def _ignoring_interrupts():
    """SIGINT ignored inside the block (main thread only; elsewhere a no-op)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_watchdog() -> subprocess.Popen | None:
    """Start `sweep.watchdog` for this process: if it dies (even by SIGKILL), its Ray processes go too."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "sweep.watchdog", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": _package_root()},
        )
    except OSError:
        return None  # best effort: the sweep runs without it


def _package_root() -> str:
    here = str(Path(__file__).resolve().parent.parent)
    current = os.environ.get("PYTHONPATH")
    return f"{here}{os.pathsep}{current}" if current else here
