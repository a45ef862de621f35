"""Latent traversal images of chosen runs, from their final checkpoints, for the report.

The one part of the report that imports JAX (the aggregator in `analysis/` never does). As in
disentanglement_lib's `visualize_model.latent_traversal_1d_multi_dim`, a base code (the encoder mean of one
observation) is varied one latent at a time over a grid of values (default: 11 points in [-1, 1]) and each
code is decoded to Bernoulli means (the sigmoid of the decoder's logits). Row i of an image varies latent i.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import jax
import numpy as np
import pandas as pd
from PIL import Image

import data
import models
from analysis import ReportFigure
from analysis.load import study_order
from analysis.quantities import STUDY_DATASETS, STUDY_OBJECTIVES
from models.network import Decoder
from results_schema import read_table

DEFAULT_VALUES = tuple(np.linspace(-1.0, 1.0, 11))
GAP = 2  # white pixels between tiles


def traversal_figures(
    out: str | Path,
    max_runs: int = 12,
    values: Sequence[float] = DEFAULT_VALUES,
    data_dir: str | Path | None = None,
    seed: int = 0,
) -> list[ReportFigure]:
    """Traversal PNGs (in `<out>/traversals/`) of up to `max_runs` finished runs of the store `<out>/store`.

    Chosen: per (data set, objective), in the study's order, the first of `candidate_runs` whose final
    checkpoint exists (the best by DCI Disentanglement). The base code
    encodes one observation of the run's data set (seeded by `seed`); where the data set cannot be loaded
    here, the prior mean (zeros) is used and the caption says so. An empty list when nothing qualifies.
    """
    store = Path(out) / "store"
    if not (store / "runs").is_dir():
        return []
    target = Path(out) / "traversals"
    figures, shown = [], set()
    for run in candidate_runs(store).itertuples(index=False):
        if (run.dataset, run.objective) in shown:
            continue
        try:
            params = models.load_final_params(Path(run.checkpoint_path).parent, run.run_id)
        except FileNotFoundError:
            continue
        shown.add((run.dataset, run.objective))
        base, source = _base_code(params, run.dataset, data_dir, seed)
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{run.run_id}.png"
        Image.fromarray(traversal_image(params, base, values)).save(path)
        setting = f"{run.strength_name}={run.strength:g}, seed {run.seed}"
        title = f"Latent traversals: {run.dataset}, {run.objective} ({setting})"
        caption = (
            f"Run {run.run_id}. Row i varies latent i over {len(values)} values in "
            f"[{min(values):g}, {max(values):g}] around {source}; images are decoder means."
        )
        figures.append(ReportFigure(f"traversal_{run.run_id}", title, path, caption))
        if len(figures) == max_runs:
            break
    return figures


def candidate_runs(store: Path) -> pd.DataFrame:
    """Done runs with a checkpoint path: the groups (data set, objective) in the study's order, within a
    group the best by DCI Disentanglement first, then those without that score by model_num."""
    runs = read_table(store, "runs", {"status": "done"}).to_pandas()
    runs = runs[runs["checkpoint_path"].notna()]
    dci = read_table(store, "scores", {"metric": "dci", "score": "disentanglement", "representation": "mean"})
    scores = dci.to_pandas()[["run_id", "value"]].rename(columns={"value": "dci"})
    runs = runs.merge(scores, on="run_id", how="left")
    datasets = {d: i for i, d in enumerate(study_order(runs["dataset"], STUDY_DATASETS))}
    objectives = {o: i for i, o in enumerate(study_order(runs["objective"], STUDY_OBJECTIVES))}
    runs = runs.assign(_d=runs["dataset"].map(datasets), _o=runs["objective"].map(objectives))
    runs = runs.sort_values(
        ["_d", "_o", "dci", "model_num"], ascending=[True, True, False, True], na_position="last"
    )
    return runs.drop(columns=["_d", "_o"])


def _base_code(params: dict, dataset: str, data_dir: str | Path | None, seed: int) -> tuple[np.ndarray, str]:
    num_latents, kernel_34 = _encoder_shape(params)
    try:
        observation = data.load_dataset(dataset, data_dir).sample_observations(1, np.random.default_rng(seed))
    except data.DatasetUnavailableError:
        return np.zeros(num_latents, np.float32), f"the prior mean (data set {dataset} is not available here)"
    config = models.TrainConfig(num_latents=num_latents, encoder_kernel_34=kernel_34)
    code = models.represent_fn([params], config, "mean")(observation)[0, 0]
    return code, f"the encoder mean of one {dataset} observation (seed {seed})"


def _encoder_shape(params: dict) -> tuple[int, int]:
    """(number of latents, kernel size of the 3rd/4th convolutions) of a run's encoder parameters."""
    return params["encoder"]["means"]["kernel"].shape[-1], params["encoder"]["Conv_2"]["kernel"].shape[0]


@functools.cache
def _decoder(channels: int) -> Callable:
    return jax.jit(Decoder(channels).apply)


def decode(params: dict, codes: np.ndarray) -> np.ndarray:
    """Bernoulli means float32 [N, 64, 64, C] of codes [N, d] under a run's decoder."""
    channels = params["decoder"]["UpConv_3"]["bias"].shape[0]
    logits = _decoder(channels)({"params": params["decoder"]}, np.asarray(codes, np.float32))
    return np.asarray(jax.nn.sigmoid(logits))


def traversal_image(params: dict, base: np.ndarray, values: Sequence[float]) -> np.ndarray:
    """uint8 image: row i holds the decodings of `base` with latent i set to each of `values`."""
    num_latents, steps = base.shape[0], len(values)
    codes = np.repeat(base[None, None, :], num_latents, 0).repeat(steps, 1)
    codes[np.arange(num_latents), :, np.arange(num_latents)] = np.asarray(values, np.float32)
    tiles = decode(params, codes.reshape(-1, num_latents))
    height, width, channels = tiles.shape[1:]
    tiles = np.pad(
        tiles.reshape(num_latents, steps, height, width, channels),
        ((0, 0), (0, 0), (0, GAP), (0, GAP), (0, 0)),
        constant_values=1.0,
    )
    grid = tiles.transpose(0, 2, 1, 3, 4).reshape(
        num_latents * (height + GAP), steps * (width + GAP), channels
    )
    image = np.round(grid[:-GAP, :-GAP] * 255).astype(np.uint8)
    return image[..., 0] if channels == 1 else image
