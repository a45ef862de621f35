"""Benchmark the data sets: offline render time, load time and memory, batch-of-64 sampling throughput.

    .venv/bin/python bench/datasets.py [--datasets dsprites,color_dsprites,...] [--skip-render shapes3d]
                                   [--data-dir DIR] [--keep-render] [--steps 200] [--json]

Rendering is timed into a temporary directory (deleted afterwards, or moved into the data directory's cache
with --keep-render), so an existing cache neither shortens the timing nor is lost. Loading and sampling use
the normal data directory ($DISENTANGLEMENT_DATA or ~/.cache/disentanglement_sweep), rendering there first
where a cache is missing. Host sampling is `observations_from_factors` on numpy; device sampling is one
jitted call that draws 64 row indices, gathers them from the device-resident `images` and applies
`jax_observations` (the training step's data path).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
import psutil
from _output import key_values, print_rows

import data
from data import _dsprites, _shapes3d
from data._cache import data_root
from data._registry import PROCEDURAL_DIR  # noqa: E402

RENDERERS = {"dsprites": _dsprites.render, "shapes3d": _shapes3d.render}
BATCH = 64
# On CPU the first few hundred random gathers from a fresh multi-GB buffer run 20-50x slower than the rest
# (memory-page effects), so the device timing starts after this many untimed batches.
WARM_UP_CALLS = 1000


def time_render(name: str, keep_in: Path | None) -> dict:
    """Seconds to render the whole procedural grid of `name` into a fresh temporary cache.

    With `keep_in` (a procedural cache folder) the rendered file is moved there afterwards, unless one exists.
    """
    with tempfile.TemporaryDirectory(prefix=f"bench-render-{name}-") as cache:
        start = time.perf_counter()
        images = RENDERERS[name](Path(cache))
        seconds = time.perf_counter() - start
        rendered, num = Path(images.filename), images.shape[0]
        del images
        if keep_in is not None and not (keep_in / rendered.name).exists():
            keep_in.mkdir(parents=True, exist_ok=True)
            shutil.move(rendered, keep_in / rendered.name)
    return {"step": "render", "dataset": name, "images": num, "seconds": seconds}


def time_load(name: str, data_dir: Path | None) -> tuple[data.GroundTruthData, dict]:
    """Load `name`, timing it and measuring this process's resident memory before and after."""
    process = psutil.Process()
    before = process.memory_info().rss
    start = time.perf_counter()
    loaded = data.load_dataset(name, data_dir)
    seconds = time.perf_counter() - start
    row = {
        "step": "load",
        "dataset": name,
        "source": loaded.source,
        "images": loaded.num_images,
        "array_gib": loaded.images.nbytes / 2**30,
        "resident_delta_mib": (process.memory_info().rss - before) / 2**20,
        "memory_mapped": isinstance(loaded.images, np.memmap),
        "seconds": seconds,
    }
    return loaded, row


def time_host_sampling(dataset: data.GroundTruthData, steps: int) -> dict:
    """Batches of 64 per second through `sample_observations` on numpy (evaluation's path)."""
    rng = np.random.default_rng(0)
    dataset.sample_observations(BATCH, rng)  # first touch of the pages
    start = time.perf_counter()
    for _ in range(steps):
        dataset.sample_observations(BATCH, rng)
    seconds = time.perf_counter() - start
    return {
        "step": "sample host",
        "dataset": dataset.name,
        "batch": BATCH,
        "batches_per_s": steps / seconds,
    }


def time_device_sampling(dataset: data.GroundTruthData, steps: int) -> dict:
    """Batches of 64 per second gathered from device-resident images and made observations inside jit."""
    start = time.perf_counter()
    # A real copy, so that the timed gathers never fault pages in from the cache file.
    images = jax.device_put(np.array(dataset.images))
    images.block_until_ready()
    transfer = time.perf_counter() - start

    @jax.jit
    def batch(images: jax.Array, key: jax.Array) -> jax.Array:
        pick, variant = jax.random.split(key)
        rows = jax.random.randint(pick, (BATCH,), 0, images.shape[0])
        return dataset.jax_observations(images[rows], variant)

    keys = jax.random.split(jax.random.key(0), steps + 1)
    for key in jax.random.split(jax.random.key(1), WARM_UP_CALLS):  # compile, then let throughput settle
        batch(images, key).block_until_ready()
    start = time.perf_counter()
    for key in keys[1:]:
        out = batch(images, key)
    out.block_until_ready()
    seconds = time.perf_counter() - start
    return {
        "step": "sample device",
        "dataset": dataset.name,
        "device": jax.devices()[0].device_kind,
        "batch": BATCH,
        "read_and_transfer_seconds": transfer,
        "batches_per_s": steps / seconds,
    }


def main() -> None:
    """Run the benchmarks that the options select and print one row per measurement."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default=",".join(data.DATASET_NAMES), help="comma-separated names")
    parser.add_argument("--skip-render", default="", help="comma-separated renderers not to time")
    parser.add_argument("--data-dir", type=Path, default=None, help="data directory (default: the usual one)")
    parser.add_argument(
        "--keep-render", action="store_true", help="move timed renders into the data directory's cache"
    )
    parser.add_argument("--steps", type=int, default=200, help="batches per throughput measurement")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows instead of text")
    args = parser.parse_args()
    names = [name for name in args.datasets.split(",") if name]
    keep_in = data_root(args.data_dir) / PROCEDURAL_DIR if args.keep_render else None
    skip = args.skip_render.split(",")
    rows = [time_render(name, keep_in) for name in RENDERERS if name in names and name not in skip]
    for name in names:
        availability = data.dataset_availability(name, args.data_dir)
        if not availability.available:
            rows.append({"step": "load", "dataset": name, "skipped": availability.message})
            continue
        dataset, row = time_load(name, args.data_dir)
        rows += [row, time_host_sampling(dataset, args.steps), time_device_sampling(dataset, args.steps)]
    machine = {"machine": platform.node(), "cpus": psutil.cpu_count(), "jax_backend": jax.default_backend()}
    rows = [{**row, **machine} for row in rows]
    print_rows(rows, args.json, lambda row: key_values(row, digits=3))


if __name__ == "__main__":
    main()
