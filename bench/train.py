"""Training throughput: images/s per objective, replica count R, loop form and platform.

    .venv/bin/python bench/train.py --json             # all objectives, R in 1 8 32, python loop and scan
    .venv/bin/python bench/train.py --json --quick     # beta_vae only, R in 1 8, a few steps
    .venv/bin/python bench/train.py --json --vs-torch  # our CPU step side by side with a PyTorch twin
    .venv/bin/python bench/train.py --json --layers    # each convolution: lax against our rewrite

Each row times the compiled replica-batched program of `models` (the one `train_replicas` runs) on synthetic
binary 64x64 images after one warm-up call, so compilation is reported apart (`compile_s`). `--vs-torch` needs
torch (dev-only: `.venv/bin/pip install torch==2.13.0`) and alternates JAX and PyTorch steps in rounds so both
see the same machine load; it reports the median seconds per step of each and their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from _output import key_values, print_rows

from models import OBJECTIVES, TrainConfig
from models.network import conv_stride2_same, conv_transpose_stride2_same
from models.step import Program, run_keys
from models.train import compiled_program


class SyntheticImages:
    """Random binary 64x64x1 images with the training surface of `data.GroundTruthData`."""

    name = "synthetic"
    observation_shape = (64, 64, 1)

    def __init__(self, num_images: int = 4096):
        rng = np.random.default_rng(0)
        self.images = (rng.random((num_images, 64, 64, 1)) < 0.5).astype(np.uint8) * 255

    def jax_observations(self, images_u8: jax.Array, key: jax.Array) -> jax.Array:
        """float32 [B, 64, 64, 1] in [0, 1]."""
        del key
        return images_u8.astype(jnp.float32) / 255.0


def _stacked_state(program: Program, replicas: int):
    states = [program.init(run_keys(seed)[0]) for seed in range(replicas)]
    return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def time_program(
    data: SyntheticImages, objective: str, config: TrainConfig, replicas: int, calls: int
) -> dict:
    """Compile, warm up and time `calls` host calls of the program for `replicas` runs; one result row."""
    started = time.perf_counter()
    program = compiled_program(data, objective, config)
    state = _stacked_state(program, replicas)
    strengths = jnp.full((replicas,), OBJECTIVES[objective].study_strengths[0], jnp.float32)
    keys = jnp.stack([run_keys(seed)[1] for seed in range(replicas)])
    targets = jnp.full((replicas,), 2**30, jnp.int32)
    images = jax.device_put(data.images)
    k = program.config.steps_per_call
    state, logs = program.advance(state, strengths, keys, targets, images, k)
    jax.block_until_ready(logs)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(calls):
        state, logs = program.advance(state, strengths, keys, targets, images, k)
        jax.device_get(logs)
    seconds = time.perf_counter() - started
    steps = calls * k
    return {
        "objective": objective,
        "replicas": replicas,
        "loop_form": program.config.loop_form,
        "steps_per_call": k,
        "conv_impl": program.config.conv_impl,
        "platform": jax.default_backend(),
        "device": jax.devices()[0].device_kind,
        "batch_size": config.batch_size,
        "timed_steps": steps,
        "seconds_per_step": seconds / steps,
        "images_per_s": replicas * config.batch_size * steps / seconds,
        "compile_s": compile_s,
    }


def versus_torch(rounds: int, steps: int) -> list[dict]:
    """Median seconds per β-VAE step (R = 1, batch 64) of JAX (both conv implementations) and PyTorch."""
    import torch_reference  # dev-only twin; needs torch

    data = SyntheticImages()
    contenders = {}
    for impl in ("matmul", "xla"):
        config = TrainConfig(loop_form="python", steps_per_call=steps, conv_impl=impl)
        contenders[f"jax-{impl}"] = lambda c=config: time_program(data, "beta_vae", c, 1, 1)[
            "seconds_per_step"
        ]
    contenders["torch"] = lambda: torch_reference.seconds_per_step(steps=steps, warmup=1)
    contenders["torch-1-thread"] = lambda: torch_reference.seconds_per_step(steps=steps, warmup=1, threads=1)
    default_threads = torch_reference.torch.get_num_threads()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, measure in contenders.items():
            samples[name].append(measure())
            torch_reference.torch.set_num_threads(default_threads)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    best_torch = min(medians["torch"], medians["torch-1-thread"])
    return [
        {
            "contender": name,
            "seconds_per_step": medians[name],
            "samples": samples[name],
            "speed_vs_best_torch": best_torch / medians[name],
        }
        for name in contenders
    ]


# (name, input shape, kernel shape, transposed?) of each convolution of the study network at batch 64.
LAYERS = (
    ("encoder conv 1", (64, 64, 64, 1), (4, 4, 1, 32), False),
    ("encoder conv 2", (64, 32, 32, 32), (4, 4, 32, 32), False),
    ("encoder conv 3", (64, 16, 16, 32), (2, 2, 32, 64), False),
    ("encoder conv 4", (64, 8, 8, 64), (2, 2, 64, 64), False),
    ("decoder upconv 1", (64, 4, 4, 64), (4, 4, 64, 64), True),
    ("decoder upconv 2", (64, 8, 8, 64), (4, 4, 64, 32), True),
    ("decoder upconv 3", (64, 16, 16, 32), (4, 4, 32, 32), True),
    ("decoder upconv 4 (C=1)", (64, 32, 32, 32), (4, 4, 32, 1), True),
    ("decoder upconv 4 (C=3)", (64, 32, 32, 32), (4, 4, 32, 3), True),
)


def per_layer(calls: int) -> list[dict]:
    """CPU seconds of forward+backward of each convolution, `lax` against our rewrite of it."""
    nhwc = ("NHWC", "HWIO", "NHWC")
    rows = []
    for name, x_shape, k_shape, transposed in LAYERS:
        x = jax.random.normal(jax.random.PRNGKey(0), x_shape)
        kernel = jax.random.normal(jax.random.PRNGKey(1), k_shape)
        if transposed:
            forms = {
                "lax": lambda a, k: jax.lax.conv_transpose(a, k, (2, 2), "SAME", dimension_numbers=nhwc),
                "rewrite": conv_transpose_stride2_same,
            }
        else:
            forms = {
                "lax": lambda a, k: jax.lax.conv_general_dilated(
                    a, k, (2, 2), "SAME", dimension_numbers=nhwc
                ),
                "rewrite": conv_stride2_same,
            }
        row = {"layer": name}
        for form, fn in forms.items():
            grad = jax.jit(jax.grad(lambda a, k, fn=fn: jnp.sum(fn(a, k) ** 2), argnums=(0, 1)))
            jax.block_until_ready(grad(x, kernel))
            started = time.process_time()
            for _ in range(calls):
                jax.block_until_ready(grad(x, kernel))
            row[f"{form}_cpu_s"] = (time.process_time() - started) / calls
        rows.append(row)
    return rows


def main() -> None:
    """Parse the options, run the selected measurements and print them (JSON list or a table)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list of result rows")
    parser.add_argument("--quick", action="store_true", help="beta_vae only, R in 1 8, a few steps")
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES), choices=list(OBJECTIVES))
    parser.add_argument("--replicas", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--loop-forms", nargs="+", default=["python", "scan"], choices=["python", "scan"])
    parser.add_argument("--steps-per-call", type=int, default=4)
    parser.add_argument("--calls", type=int, default=2, help="timed host calls per row (after one warm-up)")
    parser.add_argument("--vs-torch", action="store_true", help="only the side-by-side CPU step comparison")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of --vs-torch")
    parser.add_argument("--layers", action="store_true", help="only per-layer convolution timings")
    args = parser.parse_args()
    if args.layers:
        rows = per_layer(calls=10)
    elif args.vs_torch:
        rows = versus_torch(args.rounds, args.steps_per_call)
    else:
        objectives, replicas, calls = args.objectives, args.replicas, args.calls
        if args.quick:
            objectives, replicas, calls = ["beta_vae"], [1, 8], 1
        data = SyntheticImages()
        base = TrainConfig(steps_per_call=args.steps_per_call)
        rows = []
        for objective in objectives:
            for r in replicas:
                for form in args.loop_forms:
                    rows.append(
                        time_program(data, objective, dataclasses.replace(base, loop_form=form), r, calls)
                    )
                    print(f"measured {rows[-1]}", file=sys.stderr, flush=True)
    print_rows(rows, args.json, lambda row: key_values(row, skip=("samples",)))


if __name__ == "__main__":
    main()
