"""One job, start to finish, inside a worker: train R replicas, evaluate them, and return their result rows.

Training resumes from each run's checkpoint under `<out>/checkpoints/<run_id>/` when one exists. Both the mean
and the sampled representation are evaluated, plus the model-based scores on held-out observations. A run that
diverged is recorded `diverged` with its step and no scores. Any error fails the job's runs with the error
text, except the launcher's named transient errors, which propagate so Ray retries the job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sweep.grid import RunBase, RunSpec
from sweep.packing import Job
from sweep.records import curve_rows, failed_rows, run_row, score_rows

REPRESENTATIONS = ("mean", "sampled")
RUNNING_DIR = "running"


@dataclass(frozen=True)
class JobContext:
    """What every job of a sweep shares: where results go, where data lives, which errors are transient."""

    out: str
    sweep: str
    data_dir: str | None
    transient_errors: tuple[str, ...]
    compilation_cache: str | None
    # Processes for a job's classifier fits where the metrics leave `n_jobs` null: the CPUs a job asks for, so
    # concurrent jobs do not each start a pool as large as the host (None: all cores, as outside a sweep).
    fit_processes: int | None = None

    def checkpoint_root(self) -> Path:
        """The directory holding one checkpoint folder per run_id."""
        return Path(self.out) / "checkpoints"

    def marker(self, job_id: str) -> Path:
        """The file a worker keeps while it runs job `job_id` (pid, host, start time); `status` lists them."""
        return Path(self.out) / RUNNING_DIR / f"job-{job_id}.json"


class JobMarker:
    """The file a worker keeps while it runs a job: who runs it, and how far training has got.

    `progress(step, total)` (the training loop's callback) rewrites it at most every `every` seconds, under a
    temporary name renamed into place, so the driver's progress bar and `status` read whole files only.
    """

    def __init__(self, path: Path, content: dict, every: float = 2.0) -> None:
        self.path, self._content, self._every, self._last = path, dict(content), every, 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def _write(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(self._content))
        os.replace(temporary, self.path)

    def progress(self, step: int, total: int) -> None:
        """Record `step` of `total` training updates over the job's replicas."""
        now = time.monotonic()
        if now - self._last >= self._every or step >= total:
            self._content.update(step=int(step), total=int(total))
            self._write()
            self._last = now


def job_markers(out: Path) -> list[Path]:
    """Markers of jobs started under `out` and not finished: running now, or abandoned by a killed worker."""
    return sorted((Path(out) / RUNNING_DIR).glob("job-*.json"))


def is_transient(error: BaseException, names: tuple[str, ...]) -> bool:
    """Whether `error` is an instance of one of the named exception classes (by class name in its MRO)."""
    return any(
        cls.__name__ in names or f"{cls.__module__}.{cls.__qualname__}" in names
        for cls in type(error).__mro__
    )


def dataset_options(section: dict) -> tuple[tuple[str, object], ...]:
    """The `dataset` config's loader options (all keys but name and procedural, e.g. SmallNORB's resize)."""
    return tuple(sorted((k, v) for k, v in section.items() if k not in ("name", "procedural")))


@lru_cache(maxsize=4)
def _dataset(name: str, data_dir: str | None, procedural: bool | None, options: tuple = ()):
    """The data set, loaded once per worker process and reused by every later job on it."""
    from data import load_dataset

    return load_dataset(name, data_dir, procedural=procedural, **dict(options))


def run_job(job: Job, ctx: JobContext, map_fn: Callable | None = None) -> dict[str, list[dict]]:
    """Train and evaluate one job; return its rows per table. Only transient errors escape (Ray retries)."""
    from models.host_memory import keep_scratch_memory

    keep_scratch_memory()  # before the worker's first job starts JAX
    if ctx.compilation_cache:
        use_compilation_cache(ctx.compilation_cache)
    marker = JobMarker(
        ctx.marker(job.job_id),
        {
            "job_id": job.job_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.time(),
            "runs": [r.run_id for r in job.runs],
        },
    )
    try:
        return _train_and_evaluate(job, ctx, map_fn, marker.progress)
    except Exception as err:  # every non-transient error becomes a recorded failure
        if is_transient(err, ctx.transient_errors):
            raise
        error = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=-3)}"
        return {"runs": failed_rows(job.runs, job.job_id, ctx.sweep, error, device=_device())}
    finally:
        marker.path.unlink(missing_ok=True)


def use_compilation_cache(path: str) -> None:
    """Point JAX's persistent compilation cache at `path`, so a program compiles once for all workers."""
    import jax

    jax.config.update("jax_compilation_cache_dir", path)


def _device() -> str:
    """The kind of the first JAX device of this worker (e.g. 'cpu', 'NVIDIA H100 80GB HBM3')."""
    import jax

    device = jax.devices()[0]
    return getattr(device, "device_kind", device.platform)


def _train_and_evaluate(
    job: Job, ctx: JobContext, map_fn: Callable | None, progress: Callable[[int, int], None] | None = None
) -> dict[str, list[dict]]:
    """The job's work: train (or resume) the replicas, evaluate the converged ones, build the rows."""
    from models import ReplicaSpec, train_replicas

    base = job.runs[0].base
    training = base.train
    data = _dataset(
        job.dataset, ctx.data_dir, base.dataset_config.get("procedural"), dataset_options(base.dataset_config)
    )
    specs = {r.run_id: r for r in job.runs}
    replicas = [ReplicaSpec(r.run_id, r.seed, r.strength) for r in job.runs]
    results = train_replicas(
        data, base.engine_objective(), replicas, training, ctx.checkpoint_root(), progress=progress
    )
    converged = [res for res in results if res.status == "done"]
    start = time.perf_counter()
    scores = _evaluate(
        data, [(specs[r.run_id], r.params) for r in converged], base, map_fn, ctx.fit_processes
    )
    rows = {"runs": [], "train_curves": [], "scores": scores}
    eval_seconds = (time.perf_counter() - start) / len(converged) if converged else None
    device = _device()
    for res in results:
        spec = specs[res.run_id]
        rows["train_curves"] += curve_rows(spec, res.curve)
        rows["runs"].append(
            run_row(
                spec,
                job.job_id,
                ctx.sweep,
                status=res.status,
                steps=res.steps,
                device=device,
                diverged_step=res.diverged_step,
                train_seconds=res.train_seconds,
                eval_seconds=eval_seconds if res.status == "done" else None,
                checkpoint_path=str(ctx.checkpoint_root() / res.run_id),
                final_logs=res.final_logs,
            )
        )
    return rows


def _evaluate(
    data, runs: list[tuple[RunSpec, Any]], base: RunBase, map_fn: Callable | None, fit_processes: int | None
) -> list[dict]:
    """Score rows of converged runs (spec, params): every metric on both representations, plus the
    model-based scores on held-out observations. All runs are scored together on the same samples.
    Without a `map_fn`, the fits run in `metrics.n_jobs` local processes, or `fit_processes` if it is null."""
    import numpy as np

    from evaluation import ScoreRecord, evaluate
    from models import heldout_scores, represent_fn

    if not runs:
        return []
    metrics, training = base.metrics, base.train
    if metrics.n_jobs is None:
        metrics = dataclasses.replace(metrics, n_jobs=fit_processes)
    seed = metrics.sample_seed if metrics.sample_seed is not None else 0
    specs, params = [spec for spec, _ in runs], [p for _, p in runs]
    rows = []
    for kind in REPRESENTATIONS:
        represent = represent_fn(params, training, kind, seed=seed)
        per_run = evaluate(data, represent, metrics.for_representation(kind), seed, map_fn=map_fn)
        for spec, records in zip(specs, per_run, strict=True):
            rows += score_rows(spec, kind, records, seed)
    size = base.heldout_observations
    observations = data.sample_observations(size, np.random.default_rng(seed))
    for spec, scores in zip(specs, heldout_scores(params, training, observations, seed=seed), strict=True):
        records = [
            ScoreRecord("model", name, value, {"num_observations": size}) for name, value in scores.items()
        ]
        rows += score_rows(spec, "mean", records, seed)
    return rows
