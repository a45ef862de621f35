"""The host loop of a replica-batched job: restore, advance K steps per call, log, checkpoint, export.

`train_replicas` trains R runs of one (data set, objective) in one compiled program. Each run is independent
of the others in its job: its initial parameters and batches come from its seed alone, and it checkpoints,
resumes, diverges and finishes on its own step counter.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from models import checkpoint
from models.config import ReplicaSpec, TrainConfig
from models.objectives import Objective, objective_named
from models.step import Observe, Program, TrainState, run_keys


class TrainingData(Protocol):
    """The part of `data.GroundTruthData` that training uses."""

    name: str
    images: np.ndarray
    observation_shape: tuple[int, int, int]

    def jax_observations(self, images_u8: jax.Array, key: jax.Array) -> jax.Array: ...


@dataclass
class RunResult:
    """What one run of a job produced (see docs/architecture.md, `models`)."""

    run_id: str
    status: Literal["done", "diverged"]
    steps: int
    diverged_step: int | None
    train_seconds: float
    final_logs: dict[str, float]
    curve: list[dict[str, float]]
    params: Any = field(repr=False)
    # (H, W, C) of the images the run was trained on, so a reader of its export (traversals) builds the
    # decoder without the data set; None in exports written before it was recorded.
    observation_shape: list[int] | None = None

    def record(self) -> dict[str, Any]:
        """Everything but the parameters, JSON-serialisable (the run's `result.json`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "params"}


@dataclass
class _RunLog:
    """Host-side bookkeeping of one run while its job trains."""

    curve: list[dict[str, float]]
    final_logs: dict[str, float]
    train_seconds: float
    last_checkpoint: int

    def meta(self) -> dict[str, Any]:
        return {"curve": self.curve, "final_logs": self.final_logs, "train_seconds": self.train_seconds}


@functools.lru_cache(maxsize=8)
def _program(
    objective: Objective,
    config: TrainConfig,
    observe: Observe,
    observation_shape: tuple[int, int, int],
    dataset_size: int,
) -> Program:
    return Program(objective, config, observe, observation_shape, dataset_size)


def compiled_program(dataset: TrainingData, objective: str | Objective, config: TrainConfig) -> Program:
    """The (cached) compiled program for a data set, objective (or its name) and config resolved for the
    default backend."""
    return _program(
        objective_named(objective),
        config.resolved(jax.default_backend()).for_program(),
        dataset.jax_observations,
        tuple(dataset.observation_shape),
        int(dataset.images.shape[0]),
    )


def _validate(dataset: TrainingData, replicas: Sequence[ReplicaSpec]) -> None:
    if not replicas:
        raise ValueError("train_replicas needs at least one ReplicaSpec")
    ids = [spec.run_id for spec in replicas]
    if len(set(ids)) != len(ids):
        raise ValueError(f"run_ids within a job must be unique, got {ids}")
    images = dataset.images
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"dataset.images must be uint8 [N, H, W, C], got {images.dtype} {images.shape}")


def train_replicas(
    dataset: TrainingData,
    objective: str | Objective,
    replicas: Sequence[ReplicaSpec],
    config: TrainConfig,
    checkpoint_root: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Train R runs of one (data set, objective) in one compiled, vmapped program; one RunResult per spec.

    With a `checkpoint_root`, each run checkpoints under `checkpoint_root/<run_id>/` every
    `config.checkpoint_every` updates, resumes from there when it is trained again (in any job, next to any
    replicas), and exports its final parameters; a run that already finished is loaded, not retrained.
    `progress(done, total)` is called after each host call with updates done and to do over all replicas.
    `objective` is a name of `OBJECTIVES` or an Objective (e.g. with other fixed hyperparameters).
    """
    objective = objective_named(objective)
    _validate(dataset, replicas)
    target = config.updates(objective.uses_discriminator)
    root = Path(checkpoint_root) if checkpoint_root is not None else None
    finished: dict[str, RunResult] = {}
    if root is not None:
        for spec in replicas:
            record = checkpoint.read_result(checkpoint.run_dir(root, spec.run_id))
            if record is not None:
                params = checkpoint.load_final_params(root, spec.run_id)
                finished[spec.run_id] = RunResult(**record, params=params)
    pending = [spec for spec in replicas if spec.run_id not in finished]
    if pending:
        trained = _train_pending(dataset, objective, pending, config, target, root, progress)
        finished.update({result.run_id: result for result in trained})
    return [finished[spec.run_id] for spec in replicas]


def _initial_states(
    program: Program, specs: Sequence[ReplicaSpec], root: Path | None
) -> tuple[TrainState, list[_RunLog]]:
    """Stacked states: fresh from each seed, replaced by the run's latest checkpoint where one exists."""
    per_run, logs = [], []
    for spec in specs:
        state = jax.device_get(program.init(run_keys(spec.seed)[0]))
        log = _RunLog(curve=[], final_logs={}, train_seconds=0.0, last_checkpoint=0)
        restored = (
            checkpoint.restore_checkpoint(checkpoint.run_dir(root, spec.run_id), state) if root else None
        )
        if restored is not None:
            state, meta = restored
            log = _RunLog(meta["curve"], meta["final_logs"], meta["train_seconds"], int(state.step))
        per_run.append(state)
        logs.append(log)
    return jax.tree.map(lambda *xs: jnp.asarray(np.stack(xs)), *per_run), logs


def _train_pending(
    dataset: TrainingData,
    objective: Objective,
    specs: Sequence[ReplicaSpec],
    config: TrainConfig,
    target: int,
    root: Path | None,
    progress: Callable[[int, int], None] | None,
) -> list[RunResult]:
    program = compiled_program(dataset, objective, config)
    state, run_logs = _initial_states(program, specs, root)
    images = jax.device_put(dataset.images)
    strengths = jnp.asarray([spec.strength for spec in specs], jnp.float32)
    train_keys = jnp.stack([run_keys(spec.seed)[1] for spec in specs])
    targets = jnp.full((len(specs),), target, jnp.int32)
    steps = np.asarray(state.step)
    diverged = np.asarray(state.diverged_step)
    total = target * len(specs)
    while np.any((steps < target) & (diverged < 0)):
        active_before = (steps < target) & (diverged < 0)
        num_steps = min(
            program.config.steps_per_call, int(np.max(np.where(active_before, target - steps, 0)))
        )
        started = time.perf_counter()
        state, logs = program.advance(state, strengths, train_keys, targets, images, num_steps)
        logs = jax.device_get(logs)
        steps, diverged = np.asarray(state.step), np.asarray(state.diverged_step)
        elapsed = time.perf_counter() - started
        for r, spec in enumerate(specs):
            if not active_before[r]:
                continue
            run_log = run_logs[r]
            run_log.train_seconds += elapsed
            _record_logs(run_log, logs, r, config.log_every, target)
            if root is not None and (
                steps[r] // config.checkpoint_every > run_log.last_checkpoint // config.checkpoint_every
                or diverged[r] >= 0
                or steps[r] == target
            ):
                host_state = jax.device_get(jax.tree.map(lambda x, r=r: x[r], state))
                checkpoint.save_checkpoint(
                    checkpoint.run_dir(root, spec.run_id), int(steps[r]), host_state, run_log.meta()
                )
                run_log.last_checkpoint = int(steps[r])
        if progress is not None:
            progress(int(np.sum(np.where(diverged >= 0, target, steps))), total)
    host_params = jax.device_get(state.params)
    results = []
    for r, spec in enumerate(specs):
        result = RunResult(
            run_id=spec.run_id,
            status="diverged" if diverged[r] >= 0 else "done",
            steps=int(steps[r]),
            diverged_step=int(diverged[r]) if diverged[r] >= 0 else None,
            train_seconds=run_logs[r].train_seconds,
            final_logs=run_logs[r].final_logs,
            curve=run_logs[r].curve,
            params=jax.tree.map(lambda x, r=r: x[r], host_params),
            observation_shape=[int(n) for n in dataset.observation_shape],
        )
        if root is not None:
            checkpoint.export_final(checkpoint.run_dir(root, spec.run_id), result.params, result.record())
        results.append(result)
    return results


def _record_logs(run_log: _RunLog, logs: dict[str, np.ndarray], r: int, log_every: int, target: int) -> None:
    """Append the committed steps of replica r that fall on the logging grid (or end the run) to its curve."""
    names = [name for name in logs if name not in ("step", "committed")]
    for k in np.flatnonzero(logs["committed"][:, r]):
        entry = {name: float(logs[name][k, r]) for name in names}
        step = int(logs["step"][k, r])
        run_log.final_logs = entry
        if step % log_every == 0 or step == target:
            run_log.curve.append({"step": float(step), **entry})
