"""Training throughput: images/s per objective, replica count R, loop form and platform.

    .venv/bin/python bench/train.py --json             # all objectives, R in 1 8 32, python loop and scan
    .venv/bin/python bench/train.py --json --quick     # beta_vae only, R in 1 8, a few steps
    .venv/bin/python bench/train.py --json --vs-torch  # our CPU step side by side with a PyTorch twin
    .venv/bin/python bench/train.py --json --vs-torch --without-lax --rounds 60 --steps-per-call 10
    .venv/bin/python bench/train.py --json --layers    # each convolution: lax against our rewrite
    .venv/bin/python bench/train.py --compile-options xla_cpu_prefer_vector_width=512 --rounds 10  # A/B
    .venv/bin/python bench/train.py --scratch-memory --rounds 14 --steps-per-call 10  # models/host_memory.py
    .venv/bin/python bench/train.py --steady-memory 20 --steps-per-call 100 --objectives beta_vae factor_vae
    python3 bench/train.py --json --conv-impls xla matmul --replicas 1 64 --jsonl rows.jsonl  # GPU grid

Each row times the compiled replica-batched program of `models` (the one `train_replicas` runs) on synthetic
binary 64x64 images after one warm-up call, so compilation is reported apart (`compile_s`). `--vs-torch` needs
torch (dev-only: `.venv/bin/pip install torch==2.13.0`) and alternates JAX and PyTorch steps in rounds so both
see the same machine load; it reports the median wall and CPU seconds per step of each, the fastest sample,
and three ratios: median to median, fastest to fastest (PyTorch's steps vary more under load), and the
median of the per-round ratios with a 95% bootstrap interval (`paired_speed`; bench/_paired.py). On a GPU the
PyTorch twin runs on the GPU too (CUDA build of torch). PyTorch runs in a child process with the C
library's default malloc settings; this process applies `models.host_memory.keep_scratch_memory`, as every
training process does, unless `--default-malloc` is given. `--jsonl` appends each row as it is measured,
so a run cut short keeps what it measured.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
from _output import key_values, machine, print_rows
from _paired import paired_speed
from _timing import Elapsed, stopwatch

from models import OBJECTIVES, TrainConfig
from models.conv import conv
from models.host_memory import keep_scratch_memory, reuse_freed_memory
from models.step import Networks, Program, init_state, make_step, run_keys
from models.train import compiled_program


class SyntheticImages:
    """Random binary 64x64xC images with the training surface of `data.GroundTruthData`."""

    name = "synthetic"

    def __init__(self, num_images: int = 4096, channels: int = 1):
        rng = np.random.default_rng(0)
        self.observation_shape = (64, 64, channels)
        self.images = (rng.random((num_images, *self.observation_shape)) < 0.5).astype(np.uint8) * 255

    def jax_observations(self, images_u8: jax.Array, key: jax.Array) -> jax.Array:
        """float32 [B, 64, 64, 1] in [0, 1]."""
        del key
        return images_u8.astype(jnp.float32) / 255.0


def stacked_state(program: Program, replicas: int):
    states = [program.init(run_keys(seed)[0]) for seed in range(replicas)]
    return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def time_program(
    data: SyntheticImages, objective: str, config: TrainConfig, replicas: int, calls: int
) -> dict:
    """Compile, warm up and time `calls` host calls of the program for `replicas` runs; one result row."""
    started = time.perf_counter()
    program = compiled_program(data, objective, config)
    state = stacked_state(program, replicas)
    strengths = jnp.full((replicas,), OBJECTIVES[objective].study_strengths[0], jnp.float32)
    keys = jnp.stack([run_keys(seed)[1] for seed in range(replicas)])
    targets = jnp.full((replicas,), 2**30, jnp.int32)
    images = jax.device_put(data.images)
    k = program.config.steps_per_call
    state, logs = program.advance(state, strengths, keys, targets, images, k)
    jax.block_until_ready(logs)
    compile_s = time.perf_counter() - started
    with stopwatch() as elapsed:
        for _ in range(calls):
            state, logs = program.advance(state, strengths, keys, targets, images, k)
            jax.device_get(logs)
    seconds = elapsed.wall
    steps = calls * k
    return {
        "objective": objective,
        "replicas": replicas,
        "loop_form": program.config.loop_form,
        "steps_per_call": k,
        "conv_impl": program.config.conv_impl,
        "precision": program.config.matmul_precision,
        "platform": jax.default_backend(),
        "device": jax.devices()[0].device_kind,
        "channels": data.observation_shape[2],
        "batch_size": config.batch_size,
        "timed_steps": steps,
        "seconds_per_step": seconds / steps,
        "cpu_seconds_per_step": elapsed.cpu / steps,
        "system_seconds_per_step": elapsed.system / steps,
        "page_faults_per_step": elapsed.page_faults / steps,
        "images_per_s": replicas * config.batch_size * steps / seconds,
        "compile_s": compile_s,
    }


def versus_torch(rounds: int, steps: int, with_lax: bool = True) -> list[dict]:
    """Median and fastest seconds per β-VAE step (R = 1, batch 64) of JAX (both conv implementations, or
    only our default without `with_lax`) and PyTorch, each against PyTorch's.

    `speed_vs_best_torch` compares medians, `fastest_vs_fastest_torch` the fastest samples, and
    `paired_speed` (with its 95% interval) the two samples of each round: PyTorch with its default threads
    is timed right after or right before our default step, so each pair sees nearly the same load
    (`_paired.py`). On a GPU backend both frameworks run on the GPU (JAX's step in both loop forms), else on
    the CPU, where PyTorch is also timed pinned to one thread.
    """
    import torch_reference  # dev-only twin; needs torch

    on_gpu = jax.default_backend() == "gpu"
    data = SyntheticImages()
    device = "cuda" if on_gpu else "cpu"
    torch_process = torch_reference.TorchProcess()
    contenders = {}
    for impl in ("matmul", "xla") if with_lax else ("matmul",):
        for form in ("python", "scan") if on_gpu else ("python",):
            config = TrainConfig(loop_form=form, steps_per_call=steps, conv_impl=impl)
            name = f"jax-{impl}-{form}" if on_gpu else f"jax-{impl}"
            contenders[name] = lambda c=config: _wall_and_cpu(time_program(data, "beta_vae", c, 1, 1))
        if impl == "matmul":  # PyTorch next to our default step, so the paired ratio compares neighbours
            contenders["torch"] = lambda: torch_process.step_seconds(steps=steps, warmup=1, device=device)
    if not on_gpu:
        contenders["torch-1-thread"] = lambda: torch_process.step_seconds(steps=steps, warmup=1, threads=1)
    try:
        samples = _in_turns(contenders, rounds)
    finally:
        torch_process.close()
    summaries = {name: _summary(values) for name, values in samples.items()}
    torch_rows = [row for name, row in summaries.items() if name.startswith("torch")]
    best_torch = min(row["seconds_per_step"] for row in torch_rows)
    fastest_torch = min(row["best_seconds_per_step"] for row in torch_rows)
    torch_walls = [wall for wall, _ in samples["torch"]]
    return [
        {
            "contender": name,
            "device": device,
            "machine": machine(),
            **summary,
            "samples": [wall for wall, _ in samples[name]],
            "speed_vs_best_torch": best_torch / summary["seconds_per_step"],
            "fastest_vs_fastest_torch": fastest_torch / summary["best_seconds_per_step"],
            **paired_speed(torch_walls, [wall for wall, _ in samples[name]]),
        }
        for name, summary in summaries.items()
    ]


def _in_turns(
    measures: dict[str, Callable[[], tuple[float, float]]], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) samples of every measure, taken in turns for `rounds` rounds.

    Taking turns lets all measures share the machine's load: on the 2-core CPUs a step's run-to-run spread
    exceeds most single changes. Every other round runs the measures in reverse order, so that neighbours
    in the order follow each other equally often both ways.
    """
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in measures}
    for round_index in range(rounds):
        names = list(measures) if round_index % 2 == 0 else list(reversed(measures))
        for name in names:
            samples[name].append(measures[name]())
    return samples


def _wall_and_cpu(row: dict) -> tuple[float, float]:
    return row["seconds_per_step"], row["cpu_seconds_per_step"]


def _summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Median wall and CPU seconds per step of (wall, cpu) samples, and the fastest sample's wall seconds.

    On a shared machine the fastest sample is the one least disturbed by other load, so the best against the
    best compares what each contender can do; the medians compare what it did under this run's load.
    """
    return {
        "seconds_per_step": statistics.median(wall for wall, _ in samples),
        "best_seconds_per_step": min(wall for wall, _ in samples),
        "cpu_seconds_per_step": statistics.median(cpu for _, cpu in samples),
    }


def _option_value(text: str) -> bool | int | str:
    if text in ("true", "false"):
        return text == "true"
    return int(text) if text.lstrip("-").isdigit() else text


def _single_step(objective_name: str = "beta_vae") -> tuple[Callable, TrainConfig, tuple]:
    """The unjitted step of one objective (R = 1, this platform's defaults), its config and its arguments."""
    data = SyntheticImages()
    config = TrainConfig(loop_form="python").resolved(jax.default_backend())
    nets = Networks.build(config, data.observation_shape)
    objective = OBJECTIVES[objective_name]
    step = make_step(nets, objective, config, data.jax_observations, data.images.shape[0])
    state = init_state(nets, objective, run_keys(0)[0])
    args = (jnp.float32(objective.study_strengths[0]), run_keys(0)[1], jnp.int32(2**30))
    return step, config, (state, *args, jax.device_put(data.images))


def compiled_single_step(objective_name: str = "beta_vae") -> tuple[Callable, tuple]:
    """`_single_step` compiled as training compiles it (state donated), and its arguments."""
    step, config, args = _single_step(objective_name)
    with jax.default_matmul_precision(config.matmul_precision):
        return jax.jit(step, donate_argnums=0).lower(*args).compile(), args


def timed_steps(program: Callable, state, args: tuple, steps: int) -> tuple[Elapsed, object]:
    """What `steps` steps of a compiled step program took, and the final state."""
    with stopwatch() as elapsed:
        for _ in range(steps):
            state, _ = program(state, *args)
        jax.block_until_ready(state)
    return elapsed, state


def _versus_first(samples: dict[str, list[tuple[float, float]]], rounds: int, key: str) -> list[dict]:
    """One row per variant: median wall and CPU seconds per step, and its speed against the first variant."""
    base = [wall for wall, _ in next(iter(samples.values()))]
    rows = []
    for name, values in samples.items():
        summary = _summary(values)
        rows.append(
            {
                key: name,
                **summary,
                "speed_vs_first": statistics.median(base) / summary["seconds_per_step"],
                **paired_speed(base, [wall for wall, _ in values]),
                "rounds": rounds,
            }
        )
    return rows


def compile_options(variants: list[str], rounds: int, steps: int) -> list[dict]:
    """The β-VAE step (R = 1, this platform's defaults) compiled once per set of XLA options, timed in turns.

    Each variant is `key=value[,key=value...]` of XLA debug options (e.g. `xla_cpu_prefer_vector_width=512`);
    "base" compiles without any. All programs live in one process and run `steps` steps each in alternation
    for `rounds` rounds, so they share the machine's load: on the 2-core CPUs the run-to-run spread of a step
    is about ±4%, larger than most single changes, and a separate process per variant cannot resolve them.
    """
    step, config, (state, *args) = _single_step()
    options = {"base": {}} | {
        v: {key: _option_value(value) for key, value in (kv.split("=", 1) for kv in v.split(","))}
        for v in variants
    }
    with jax.default_matmul_precision(config.matmul_precision):
        lowered = jax.jit(step).lower(state, *args)
        programs = {name: lowered.compile(opts or None) for name, opts in options.items()}
    states = dict.fromkeys(programs, state)

    def measure(name: str) -> tuple[float, float]:
        elapsed, states[name] = timed_steps(programs[name], states[name], args, steps)
        return elapsed.wall / steps, elapsed.cpu / steps

    measures = {name: functools.partial(measure, name) for name in programs}
    _in_turns(measures, 1)  # warm-up round
    return _versus_first(_in_turns(measures, rounds), rounds, "options")


def scratch_memory(rounds: int, steps: int) -> list[dict]:
    """The β-VAE step with freed memory kept in the heap against large blocks mapped anew, timed in turns.

    One compiled program, one process (its malloc has one arena, `keep_scratch_memory`); before each block of
    `steps` steps `reuse_freed_memory` switches the setting and one untimed step lets the heap settle. Rows
    add the minor page faults and the system seconds per step.
    """
    if not keep_scratch_memory():
        raise SystemExit("--scratch-memory needs glibc and JAX on the CPU")
    program, (state, *args) = compiled_single_step()
    # (page faults, system seconds) per step of each timed block
    kernel_costs: dict[str, list[tuple[float, float]]] = {"mapped anew": [], "kept": []}

    def measure(name: str) -> tuple[float, float]:
        nonlocal state
        reuse_freed_memory(name == "kept")
        state, _ = program(state, *args)
        elapsed, state = timed_steps(program, state, args, steps)
        kernel_costs[name].append((elapsed.page_faults / steps, elapsed.system / steps))
        return elapsed.wall / steps, elapsed.cpu / steps

    measures = {name: functools.partial(measure, name) for name in kernel_costs}
    _in_turns(measures, 1)  # warm-up round
    for costs in kernel_costs.values():
        costs.clear()
    rows = _versus_first(_in_turns(measures, rounds), rounds, "freed_memory")
    reuse_freed_memory(True)
    for row in rows:
        costs = kernel_costs[row["freed_memory"]]
        row["page_faults_per_step"] = statistics.median(faults for faults, _ in costs)
        row["system_seconds_per_step"] = statistics.median(system for _, system in costs)
    return rows


def steady_memory(objectives: list[str], blocks: int, steps: int) -> list[dict]:
    """Resident memory and page faults per step over `blocks` blocks of `steps` steps (R = 1, Python loop).

    Shows whether the scratch kept in the heap (models/host_memory.py) settles: after the first block, a
    block whose faults are not 0 is one where glibc grew the heap instead of reusing the freed scratch.
    """
    rows = []
    for name in objectives:
        program, (state, *args) = compiled_single_step(name)
        resident, faults = [], []
        for _ in range(blocks):
            elapsed, state = timed_steps(program, state, args, steps)
            resident.append(round(_resident_bytes() / 1e9, 3))
            faults.append(round(elapsed.page_faults / steps, 1))
        rows.append(
            {
                "objective": name,
                "steps_per_block": steps,
                "resident_gb_after_each_block": resident,
                "page_faults_per_step_in_each_block": faults,
            }
        )
    return rows


def _resident_bytes() -> int:
    """This process's resident memory now (Linux /proc; ru_maxrss would give only the peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


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


def _unbiased_conv(x: jax.Array, kernel: jax.Array, *, transpose: bool, impl: str) -> jax.Array:
    """`models.conv.conv` with a zero bias: impl "xla" is `lax`'s convolution, "matmul" our rewrite."""
    return conv(x, kernel, jnp.zeros(kernel.shape[-1], x.dtype), transpose=transpose, impl=impl)


def layer_cases() -> Iterator[tuple[str, jax.Array, jax.Array, dict[str, Callable]]]:
    """Per layer of LAYERS: its name, random input and kernel, and {"lax": reference, "rewrite": ours}."""
    for name, x_shape, k_shape, transposed in LAYERS:
        x = jax.random.normal(jax.random.PRNGKey(0), x_shape)
        kernel = jax.random.normal(jax.random.PRNGKey(1), k_shape)
        impls = {"lax": "xla", "rewrite": "matmul"}
        yield (
            name,
            x,
            kernel,
            {
                form: functools.partial(_unbiased_conv, transpose=transposed, impl=impl)
                for form, impl in impls.items()
            },
        )


def per_layer(calls: int) -> list[dict]:
    """CPU seconds of forward+backward of each convolution, `lax` against our rewrite of it."""
    rows = []
    for name, x, kernel, forms in layer_cases():
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
    parser.add_argument(
        "--conv-impls", nargs="+", default=[None], choices=["matmul", "xla"], help="default: the platform's"
    )
    parser.add_argument("--channels", type=int, default=1, help="image channels (3 for the colour data sets)")
    parser.add_argument(
        "--precision",
        choices=["default", "high", "highest"],
        help="TrainConfig.matmul_precision (default: the platform's; on a GPU 'default' allows TF32)",
    )
    parser.add_argument("--jsonl", help="append each row to this file as soon as it is measured")
    parser.add_argument("--calls", type=int, default=2, help="timed host calls per row (after one warm-up)")
    parser.add_argument("--vs-torch", action="store_true", help="only the side-by-side CPU step comparison")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of --vs-torch")
    parser.add_argument(
        "--without-lax",
        action="store_true",
        help="--vs-torch: leave out JAX with lax's convolutions (about 5 s a round on the 2-core CPUs)",
    )
    parser.add_argument("--layers", action="store_true", help="only per-layer convolution timings")
    parser.add_argument(
        "--scratch-memory",
        action="store_true",
        help="only: the step with freed memory kept against mapped anew, in alternating rounds",
    )
    parser.add_argument(
        "--steady-memory",
        type=int,
        metavar="BLOCKS",
        help="only: resident memory and page faults per objective, BLOCKS blocks of --steps-per-call steps",
    )
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's malloc settings as they are (skip models.host_memory.keep_scratch_memory)",
    )
    parser.add_argument(
        "--compile-options",
        nargs="+",
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="only: the step compiled with each set of XLA options against none, in alternating rounds",
    )
    args = parser.parse_args()
    if not args.default_malloc:
        keep_scratch_memory()
    if args.scratch_memory:
        rows = scratch_memory(args.rounds, args.steps_per_call)
    elif args.steady_memory:
        rows = steady_memory(args.objectives, args.steady_memory, args.steps_per_call)
    elif args.compile_options:
        rows = compile_options(args.compile_options, args.rounds, args.steps_per_call)
    elif args.layers:
        rows = per_layer(calls=10)
    elif args.vs_torch:
        rows = versus_torch(args.rounds, args.steps_per_call, with_lax=not args.without_lax)
    else:
        objectives, replicas, calls = args.objectives, args.replicas, args.calls
        if args.quick:
            objectives, replicas, calls = ["beta_vae"], [1, 8], 1
        data = SyntheticImages(channels=args.channels)
        rows = []
        for objective, r, form, impl in itertools.product(
            objectives, replicas, args.loop_forms, args.conv_impls
        ):
            config = TrainConfig(
                steps_per_call=args.steps_per_call,
                loop_form=form,
                conv_impl=impl,
                matmul_precision=args.precision,
            )
            rows.append(time_program(data, objective, config, r, calls))
            print(f"measured {rows[-1]}", file=sys.stderr, flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as out:
                    out.write(json.dumps(rows[-1]) + "\n")
    print_rows(rows, args.json, lambda row: key_values(row, skip=("samples",)))


if __name__ == "__main__":
    main()
