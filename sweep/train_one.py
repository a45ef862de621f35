"""`python -m sweep train`: one run with a progress bar, its checkpoint under out/checkpoints and its log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig
from tqdm import tqdm

from sweep.config import compose_config
from sweep.errors import SweepConfigError
from sweep.grid import RunSpec, expand_bases
from sweep.runner import dataset_options, use_compilation_cache


def single_run(overrides: Sequence[str]) -> tuple[RunSpec, DictConfig]:
    """The run the overrides name (model, `model.strength`, dataset, seed) and the composed root config.

    The run_id is the one the same run has inside any sweep, so `run` later reuses this checkpoint.
    """
    root = compose_config(overrides)
    seed = root.seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SweepConfigError(f"seed must be a non-negative integer, got {seed!r}")
    [spec] = expand_bases(
        {(root.dataset.name, root.model.name): root}, {root.model.name: [root.model.strength]}, [seed]
    )
    return spec, root


def train_one(overrides: Sequence[str], show_progress: bool = True) -> dict:
    """Train (or resume) one run; writes out/logs/<run_id>.jsonl and returns the run's summary."""
    from data import load_dataset
    from models import ReplicaSpec, train_replicas
    from models.host_memory import keep_scratch_memory
    from sweep.preflight import check_data, check_out_dir

    keep_scratch_memory()  # before JAX starts
    spec, root = single_run(overrides)
    out = Path(root.out).resolve()
    problems = [*check_data([spec.dataset], root.data_dir), *check_out_dir(out, 1, 0)]
    if problems:
        raise SweepConfigError("the run cannot start:\n  - " + "\n  - ".join(problems))
    if root.compilation_cache:
        use_compilation_cache(str(Path(root.compilation_cache).resolve()))
    base = spec.base
    training = base.train
    data = load_dataset(
        spec.dataset,
        root.data_dir,
        procedural=base.dataset_config.get("procedural"),
        **dict(dataset_options(base.dataset_config)),
    )
    bar = tqdm(
        total=training.steps, unit="step", desc=f"{spec.objective} {spec.run_id}", disable=not show_progress
    )

    def progress(step: int, total: int) -> None:
        bar.total = total
        bar.update(step - bar.n)

    try:
        replica = ReplicaSpec(spec.run_id, spec.seed, spec.strength)
        [result] = train_replicas(
            data, base.engine_objective(), [replica], training, out / "checkpoints", progress=progress
        )
    finally:
        bar.close()
    log = out / "logs" / f"{spec.run_id}.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(json.dumps(point) + "\n" for point in result.curve))
    return {
        "run_id": spec.run_id,
        "dataset": spec.dataset,
        "objective": spec.objective,
        spec.strength_name: spec.strength,
        "seed": spec.seed,
        "status": result.status,
        "steps": result.steps,
        "diverged_step": result.diverged_step,
        "train_seconds": result.train_seconds,
        "final_logs": result.final_logs,
        "checkpoint": str(out / "checkpoints" / spec.run_id),
        "log": str(log),
    }
