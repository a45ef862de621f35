"""Per-run storage under `checkpoint_root/<run_id>/`: rolling orbax checkpoints and the final export.

`checkpoints/<step>/` holds the run's whole training state (flattened to numbered leaves) and its metadata
(curve so far, seconds trained); orbax writes each to a temporary directory and renames it, so a kill leaves
either the previous or the new checkpoint. `final_params/` holds the trained parameters and `result.json`
(written last, by rename) marks the run finished: a finished run is never trained again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

RESULT_FILE = "result.json"


def run_dir(checkpoint_root: Path, run_id: str) -> Path:
    """The directory that holds everything of one run."""
    if not run_id or "/" in run_id or run_id in (".", ".."):
        raise ValueError(f"run_id {run_id!r} cannot name a directory; use a non-empty id without '/'")
    return Path(checkpoint_root) / run_id


def _manager(directory: Path) -> ocp.CheckpointManager:
    options = ocp.CheckpointManagerOptions(max_to_keep=1, enable_async_checkpointing=False, create=True)
    return ocp.CheckpointManager(directory / "checkpoints", options=options, item_names=("state", "meta"))


def _leaves(tree: Any) -> dict[str, np.ndarray]:
    return {f"{i:04d}": np.asarray(leaf) for i, leaf in enumerate(jax.tree.leaves(tree))}


def save_checkpoint(directory: Path, step: int, state: Any, meta: dict[str, Any]) -> None:
    """Atomically write one run's state (a pytree of host arrays) and JSON metadata as checkpoint `step`."""
    with _manager(directory) as manager:
        if step in manager.all_steps():
            return
        manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(_leaves(state)), meta=ocp.args.JsonSave(meta)
            ),
        )


def restore_checkpoint(directory: Path, like: Any) -> tuple[Any, dict[str, Any]] | None:
    """The latest checkpoint of a run as (state shaped like `like`, metadata), or None if it has none."""
    if not (directory / "checkpoints").exists():
        return None
    with _manager(directory) as manager:
        step = manager.latest_step()
        if step is None:
            return None
        restored = manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(_leaves(like)), meta=ocp.args.JsonRestore()
            ),
        )
    leaves = [np.asarray(restored["state"][key]) for key in sorted(restored["state"])]
    return jax.tree.unflatten(jax.tree.structure(like), leaves), dict(restored["meta"])


def export_final(directory: Path, params: Any, result: dict[str, Any]) -> None:
    """Write a finished run's parameters, then its result record (the marker that the run is done)."""
    params_dir = directory / "final_params"
    if not params_dir.exists():
        with ocp.StandardCheckpointer() as checkpointer:
            checkpointer.save(params_dir.absolute(), jax.tree.map(np.asarray, params))
    tmp = directory / f".{RESULT_FILE}.inprogress"
    tmp.write_text(json.dumps(result))
    os.replace(tmp, directory / RESULT_FILE)


def read_result(directory: Path) -> dict[str, Any] | None:
    """A finished run's result record, or None if the run has not finished."""
    path = directory / RESULT_FILE
    return json.loads(path.read_text()) if path.exists() else None


def load_final_result(checkpoint_root: Path, run_id: str) -> dict[str, Any]:
    """A finished run's result record (`RunResult.record()`: status, steps, curve, observation_shape, ...)."""
    directory = run_dir(checkpoint_root, run_id)
    record = read_result(directory)
    if record is None:
        raise FileNotFoundError(
            f"run {run_id!r} has no final export under {directory}; train it to the end first"
        )
    return record


def load_final_params(checkpoint_root: Path, run_id: str) -> Any:
    """The final parameters a finished run exported ({"encoder": ..., "decoder": ...} of numpy arrays)."""
    load_final_result(checkpoint_root, run_id)  # FileNotFoundError unless the run finished
    directory = run_dir(checkpoint_root, run_id)
    with ocp.StandardCheckpointer() as checkpointer:
        restored = checkpointer.restore((directory / "final_params").absolute())
    return jax.tree.map(np.asarray, restored)
