"""Golden parameters: every objective's parameters after 20 steps, committed before models/ was refactored.

`python tests/models/golden_params.py` rewrites `golden_params_20_steps.json`; do that only for a change that
is meant to change the numbers. Per parameter leaf (keyed by its path, so checkpoints keep restoring) the file
keeps its shape and 32 elements at fixed positions; the test compares them to 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from training_fixtures import TinyGroundTruth

from models import OBJECTIVES, ReplicaSpec, TrainConfig, train_replicas

GOLDEN_FILE = Path(__file__).with_name("golden_params_20_steps.json")
CONFIG = TrainConfig(
    steps=20,
    batch_size=16,
    checkpoint_every=20,
    log_every=10,
    steps_per_call=5,
    loop_form="python",
    conv_impl="matmul",
    matmul_precision="highest",
)
ELEMENTS_PER_LEAF = 32


def trained_params(objective: str) -> dict:
    """The parameters of one run of `objective` (seed 0, its third study strength) after 20 steps."""
    strength = OBJECTIVES[objective].study_strengths[2]
    run = train_replicas(TinyGroundTruth(), objective, [ReplicaSpec("golden", 0, strength)], CONFIG, None)[0]
    return run.params


def fingerprint(params) -> dict[str, dict]:
    """Per leaf path: shape and the values at ELEMENTS_PER_LEAF evenly spread flat positions."""
    out = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        flat = np.asarray(leaf, dtype=np.float64).ravel()
        positions = np.unique(np.linspace(0, flat.size - 1, ELEMENTS_PER_LEAF).astype(int))
        out[jax.tree_util.keystr(path)] = {
            "shape": list(np.shape(leaf)),
            "positions": positions.tolist(),
            "values": flat[positions].tolist(),
        }
    return out


if __name__ == "__main__":
    golden = {name: fingerprint(trained_params(name)) for name in OBJECTIVES}
    GOLDEN_FILE.write_text(json.dumps(golden, indent=0, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN_FILE} ({GOLDEN_FILE.stat().st_size / 1024:.0f} KiB)")
