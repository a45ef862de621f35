"""Numerics of the training program on whatever device JAX has (meant for a GPU; CI covers the CPU).

    python3 bench/device_checks.py --json [--steps 1 20] [--precisions highest] [--conv-impls matmul]

The unit tests pin these properties on the CPU at 1e-5. On a GPU two things can move them: float32 products
may run as TF32 unless the matmul precision is "highest", and cuDNN/cuBLAS may pick different kernels for a
batched (vmapped) program than for a single one. This prints, per convolution implementation and precision:

- `conv_rel_err`: ‖ours − lax‖ / ‖lax‖ of every convolution of the network (forward), our rewrite against
  `lax` at "highest" precision;
- `group_max_abs_diff`: after `steps` training steps, the largest parameter difference of run 0 trained
  inside a group of three replicas against run 0 trained alone (the replica-independence property);
- `repeat_max_abs_diff`: the same for run 0 trained alone twice (the device's run-to-run determinism);
- `adam_drift_bound`: 2·lr·steps, how far apart Adam can move two runs' parameters in `steps` steps (its
  update is at most about lr per parameter, whatever the gradient's size, so rounding differences in tiny
  gradients can flip a step's sign).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from _output import key_values, print_rows
from train import SyntheticImages, layer_cases, stacked_state

from models import OBJECTIVES, TrainConfig
from models.config import MatmulPrecision
from models.step import run_keys
from models.train import compiled_program


def conv_relative_error(precision: MatmulPrecision) -> float:
    """Worst relative error over the network's convolutions of our rewrite (at `precision`) against lax."""
    worst = 0.0
    for _, x, kernel, forms in layer_cases():
        with jax.default_matmul_precision("highest"):
            expected = np.asarray(jax.jit(forms["lax"])(x, kernel), np.float64)
        with jax.default_matmul_precision(precision):
            got = np.asarray(jax.jit(forms["rewrite"])(x, kernel), np.float64)
        worst = max(worst, float(np.linalg.norm(got - expected) / np.linalg.norm(expected)))
    return worst


def group_difference(
    config: TrainConfig, precision: MatmulPrecision, steps: int, groups: tuple[int, int] = (3, 1)
) -> float:
    """Max |params of run 0 trained in a group of groups[0] − in a group of groups[1]| after `steps` steps.

    groups (3, 1) is the replica-independence property; (1, 1), the same program run twice, is the device's
    own run-to-run determinism, the floor the first can be judged against.
    """
    data = SyntheticImages(num_images=512)
    images = jax.device_put(data.images)
    strength = OBJECTIVES["beta_vae"].study_strengths[0]
    finals = []
    program = compiled_program(data, "beta_vae", dataclasses.replace(config, matmul_precision=precision))
    for replicas in groups:
        state = stacked_state(program, replicas)
        keys = jnp.stack([run_keys(seed)[1] for seed in range(replicas)])
        strengths = jnp.full((replicas,), strength, jnp.float32)
        targets = jnp.full((replicas,), steps, jnp.int32)
        for _ in range(-(-steps // config.steps_per_call)):
            state, _ = program.advance(state, strengths, keys, targets, images, config.steps_per_call)
        finals.append(jax.tree.map(lambda leaf: np.asarray(leaf[0]), state.params))
    diffs = jax.tree.map(lambda a, b: float(np.max(np.abs(a - b))), *finals)
    return max(jax.tree.leaves(diffs))


def main() -> None:
    """Measure both properties for each convolution implementation and precision; print the rows."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list of result rows")
    parser.add_argument(
        "--steps", type=int, nargs="+", default=[20], help="training steps of the group checks (one row each)"
    )
    parser.add_argument("--loop-form", choices=["python", "scan"], default="python")
    parser.add_argument(
        "--precisions", nargs="+", default=["default", "highest"], choices=["default", "high", "highest"]
    )
    parser.add_argument("--conv-impls", nargs="+", default=["matmul", "xla"], choices=["matmul", "xla"])
    args = parser.parse_args()
    rows = []
    for impl, precision, steps in itertools.product(args.conv_impls, args.precisions, args.steps):
        config = TrainConfig(conv_impl=impl, loop_form=args.loop_form, steps_per_call=10)
        row = {
            "device": jax.devices()[0].device_kind,
            "conv_impl": impl,
            "precision": precision,
            "steps": steps,
            "group_max_abs_diff": group_difference(config, precision, steps),
            "repeat_max_abs_diff": group_difference(config, precision, steps, (1, 1)),
            "adam_drift_bound": 2 * config.learning_rate * steps,
        }
        if impl == "matmul":
            row["conv_rel_err"] = conv_relative_error(precision)
        rows.append(row)
    print_rows(rows, args.json, key_values)


if __name__ == "__main__":
    main()
