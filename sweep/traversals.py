"""Latent traversal figures of chosen runs, from their final checkpoints, drawn as researchers read them.

The one part of the report that imports JAX (the aggregator in `analysis/` never does). For each run: one
input observation of its data set, the reconstruction of its encoder mean, and one row per latent in which
that latent alone is set to each of a grid of values (default: 11 points in [-2, 2], the prior's +-2 standard
deviations) and decoded to Bernoulli means (the sigmoid of the decoder's logits), as in disentanglement_lib's
`latent_traversal_1d_multi_dim`. Rows are sorted by the latent's KL divergence from the prior (averaged over
`KL_OBSERVATIONS` observations) and labelled with it; a latent is marked inactive when the variance of its
encoder mean over those observations is at most `ACTIVE_VARIANCE` (the active-unit rule of Burda et al. 2016).

Runs shown: any asked for by run_id, then per data set the best and the worst done run by FactorVAE score
(mean representation) whose final checkpoint is on disk. Runs without a checkpoint are skipped and counted in
the note `traversal_report` returns, so a store without checkpoints still gets a report saying so.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import data
import models
from analysis import ReportFigure
from analysis.load import study_order
from analysis.quantities import STUDY_DATASETS
from models.network import VAE
from results_schema import read_table

DEFAULT_VALUES = tuple(np.linspace(-2.0, 2.0, 11))
GAP = 2  # white pixels between tiles
KL_OBSERVATIONS = 256  # observations the per-latent KL and the activity are averaged over
ACTIVE_VARIANCE = 0.01  # a latent whose encoder mean varies less over the observations is inactive


@dataclass(frozen=True)
class Traversal:
    """What one traversal image shows: the tiles and the row order and labels."""

    image: np.ndarray  # float [rows * H, columns * W, C] in [0, 1], white gaps included
    order: np.ndarray  # latent index of each row (sorted by KL, largest first)
    kl: np.ndarray | None  # mean KL per latent (None where no observation could be encoded)
    active: np.ndarray | None  # per latent: encoder mean varies over the observations
    with_input: bool  # the first two columns are the input and its reconstruction


def traversal_figures(
    out: str | Path,
    max_runs: int = 12,
    values: Sequence[float] = DEFAULT_VALUES,
    data_dir: str | Path | None = None,
    seed: int = 0,
    run_ids: Sequence[str] = (),
    store: str | Path | None = None,
    target: str | Path | None = None,
) -> list[ReportFigure]:
    """Traversal PNGs (in `target`, default `<out>/traversals/`) of up to `max_runs` runs of the store
    (default `<out>/store`): the `run_ids` asked for, then the best and worst by FactorVAE score per data
    set, each where its final checkpoint exists. An empty list when nothing qualifies."""
    return traversal_report(out, max_runs, values, data_dir, seed, run_ids, store, target)[0]


def traversal_report(
    out: str | Path | None,
    max_runs: int = 12,
    values: Sequence[float] = DEFAULT_VALUES,
    data_dir: str | Path | None = None,
    seed: int = 0,
    run_ids: Sequence[str] = (),
    store: str | Path | None = None,
    target: str | Path | None = None,
) -> tuple[list[ReportFigure], str | None]:
    """`traversal_figures` and a note for the report on what was skipped and why (None if nothing was)."""
    store = Path(store) if store is not None else Path(out) / "store"
    target = Path(target) if target is not None else Path(out) / "traversals"
    if not (store / "runs").is_dir():
        return [], f"no result store at {store}"
    picks = picked_runs(store, run_ids)
    figures, missing, unshaped = [], [], []
    for run in picks.itertuples(index=False):
        if len(figures) == max_runs:
            break
        try:
            if not isinstance(run.checkpoint_path, str):
                raise FileNotFoundError(run.run_id)
            root = Path(run.checkpoint_path).parent
            params = models.load_final_params(root, run.run_id)
            shape = models.load_final_result(root, run.run_id).get("observation_shape")
        except FileNotFoundError:
            missing.append(f"{run.run_id} ({run.why})")
            continue
        observations, source = _observations(run, data_dir, seed)
        channels = observations.shape[-1] if observations is not None else (shape or [None])[-1]
        if channels is None:
            unshaped.append(run.run_id)
            continue
        traversal = traverse(params, observations, values, channels)
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"traversal_{run.run_id}.png"
        setting = f"{run.strength_name}={run.strength:g}, seed {run.seed}"
        title = f"Latent traversals: {run.dataset}, {run.objective} ({setting}); {run.why}"
        draw(traversal, values, title).savefig(path)
        figures.append(
            ReportFigure(f"traversal_{run.run_id}", title, path, _caption(run, traversal, values, source))
        )
    asked = set(run_ids) - set(picks["run_id"])
    notes = [f"run(s) {', '.join(sorted(asked))} not done runs of this store"] if asked else []
    if unshaped:
        notes.append(
            f"neither the data set nor the image shape (exports before it was recorded) for "
            f"{len(unshaped)} picked run(s): {', '.join(unshaped)}"
        )
    if missing:
        notes.append(f"no final checkpoint on disk for {len(missing)} picked run(s): {', '.join(missing)}")
    return figures, ("; ".join(notes) or None)


def picked_runs(store: Path, run_ids: Sequence[str] = ()) -> pd.DataFrame:
    """Done runs to draw, with a `why` column: those asked for (in the order given), then per data set (in the
    study's order) the best and the worst by FactorVAE score (mean representation); runs without that score
    are never picked by it."""
    runs = read_table(store, "runs", {"status": "done"}).to_pandas()
    runs = runs.astype({"dataset": str, "objective": str})
    scores = read_table(
        store, "scores", {"metric": "factor_vae_score", "score": "eval_accuracy", "representation": "mean"}
    ).to_pandas()
    runs = runs.merge(
        scores[["run_id", "value"]].rename(columns={"value": "factor_vae"}), on="run_id", how="left"
    )
    picks = [runs[runs["run_id"] == r].assign(why="asked for") for r in dict.fromkeys(run_ids)]
    for dataset in study_order(runs["dataset"], STUDY_DATASETS):
        scored = runs[(runs["dataset"] == dataset) & runs["factor_vae"].notna()].sort_values(
            ["factor_vae", "model_num"], ascending=[False, True]
        )
        if len(scored):
            best = scored.iloc[[0]]
            picks.append(
                best.assign(why=f"best FactorVAE score of {dataset} ({best['factor_vae'].iloc[0]:.3f})")
            )
        if len(scored) > 1:
            worst = scored.iloc[[-1]]
            picks.append(
                worst.assign(why=f"worst FactorVAE score of {dataset} ({worst['factor_vae'].iloc[0]:.3f})")
            )
    if not picks:
        return runs.assign(why=pd.Series(dtype=str)).iloc[:0]
    return pd.concat(picks, ignore_index=True).drop_duplicates("run_id")


def _observations(run, data_dir: str | Path | None, seed: int) -> tuple[np.ndarray | None, str]:
    """KL_OBSERVATIONS observations of the run's data set (the first is the one shown), or None."""
    config = _json(run.config_json)
    procedural = (config.get("dataset") or {}).get("procedural")
    try:
        dataset = data.load_dataset(run.dataset, data_dir, procedural=procedural)
    except data.DatasetUnavailableError:
        return None, f"data set {run.dataset} is not available here"
    observations = dataset.sample_observations(KL_OBSERVATIONS, np.random.default_rng(seed))
    return observations, f"{run.dataset} observations drawn with seed {seed}"


def _json(text: object) -> dict:
    try:
        value = json.loads(str(text))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _encoder_shape(params: dict) -> tuple[int, int]:
    """(number of latents, kernel size of the 3rd/4th convolutions) of a run's encoder parameters."""
    return params["encoder"]["means"]["kernel"].shape[-1], params["encoder"]["Conv_2"]["kernel"].shape[0]


def _network(params: dict, channels: int) -> tuple[Callable, Callable]:
    """Jitted (encode, decode) of `VAE.from_config` for a run's parameters and images of `channels` channels.

    A final export holds parameters only, no config, so the latents and kernel size come from the encoder's
    shapes; the channels from the images the caller has.
    """
    num_latents, kernel_34 = _encoder_shape(params)
    return _compiled(models.TrainConfig(num_latents=num_latents, encoder_kernel_34=kernel_34), channels)


@functools.cache
def _compiled(config: models.TrainConfig, channels: int) -> tuple[Callable, Callable]:
    vae = VAE.from_config(config, (64, 64, channels))
    return jax.jit(vae.encode), jax.jit(vae.decode)


def encode(params: dict, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, log variance) float [N, d] of the posterior of observations [N, 64, 64, C]."""
    observations = np.asarray(observations, np.float32)
    mean, log_var = _network(params, observations.shape[-1])[0](params, observations)
    return np.asarray(mean), np.asarray(log_var)


def decode(params: dict, codes: np.ndarray, channels: int) -> np.ndarray:
    """Bernoulli means float32 [N, 64, 64, C] of codes [N, d] under a run's decoder; `channels`: C of the
    run's images (its data set's, or the `observation_shape` its export records)."""
    logits = _network(params, channels)[1](params, np.asarray(codes, np.float32))
    return np.asarray(jax.nn.sigmoid(logits))


def latent_kl(mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """Mean over observations of KL(q(z_i | x) || N(0, 1)) per latent i, in nats."""
    return 0.5 * np.mean(mean**2 + np.exp(log_var) - 1.0 - log_var, axis=0)


def traverse(
    params: dict, observations: np.ndarray | None, values: Sequence[float], channels: int
) -> Traversal:
    """The traversal of a run around the encoder mean of `observations[0]` (around the prior mean, without
    input or reconstruction, when `observations` is None), rows sorted by KL; `channels`: C of its images."""
    num_latents = _encoder_shape(params)[0]
    steps = len(values)
    if observations is None:
        base, kl, active, order = np.zeros(num_latents, np.float32), None, None, np.arange(num_latents)
    else:
        mean, log_var = encode(params, observations)
        base, kl = mean[0], latent_kl(mean, log_var)
        active = mean.var(axis=0) > ACTIVE_VARIANCE
        order = np.argsort(-kl, kind="stable")
    codes = np.repeat(base[None, None, :], num_latents, 0).repeat(steps, 1)
    codes[np.arange(num_latents), :, np.arange(num_latents)] = np.asarray(values, np.float32)
    tiles = decode(params, codes[order].reshape(-1, num_latents), channels)
    tiles = tiles.reshape(num_latents, steps, 64, 64, channels)
    blank = np.ones((num_latents, 1, 64, 64, channels), np.float32)
    if observations is not None:  # input | reconstruction | blank | the traversal
        shown = np.asarray(observations[0], np.float32)
        reconstruction = decode(params, base[None], channels)[0]
        first = np.stack([shown, reconstruction])[None].repeat(num_latents, 0)
        first[1:] = 1.0  # input and reconstruction in the top row only
        tiles = np.concatenate([first, blank, tiles], axis=1)
    image = _assemble(tiles)
    return Traversal(image, order, kl, active, observations is not None)


def _assemble(tiles: np.ndarray) -> np.ndarray:
    """Tiles [rows, columns, H, W, C] as one image with GAP white pixels between them."""
    rows, columns, height, width, channels = tiles.shape
    padded = np.pad(tiles, ((0, 0), (0, 0), (0, GAP), (0, GAP), (0, 0)), constant_values=1.0)
    grid = padded.transpose(0, 2, 1, 3, 4).reshape(rows * (height + GAP), columns * (width + GAP), channels)
    return grid[:-GAP, :-GAP]


def tile_box(row: int, column: int, size: int = 64) -> tuple[slice, slice]:
    """Where tile (row, column) lies in a Traversal image."""
    step = size + GAP
    return slice(row * step, row * step + size), slice(column * step, column * step + size)


def draw(traversal: Traversal, values: Sequence[float], title: str) -> Figure:
    """The traversal as a labelled figure: column headings (input, reconstruction, each value) and one row
    label per latent with its KL, inactive latents marked and greyed."""
    image = traversal.image
    rows, columns = len(traversal.order), image.shape[1] // (64 + GAP) + 1
    step = 64 + GAP
    figure = Figure(figsize=(0.75 * columns + 2.6, 0.75 * rows + 1.2), dpi=100, layout="constrained")
    ax = figure.subplots()
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1)
    headings = [f"{v:+.1f}" for v in values]
    if traversal.with_input:
        headings = ["input", "recon.", "", *headings]
    ax.set_xticks([step * i + 31.5 for i in range(len(headings))], headings, fontsize=8)
    ax.xaxis.tick_top()
    labels, colors = [], []
    for latent in traversal.order:
        label = f"z{latent}"
        if traversal.kl is not None:
            label += f"  KL {traversal.kl[latent]:.2f}"
            if not traversal.active[latent]:
                label += " (inactive)"
        labels.append(label)
        colors.append("#999999" if traversal.active is not None and not traversal.active[latent] else "black")
    ax.set_yticks([step * r + 31.5 for r in range(rows)], labels, fontsize=8)
    for tick, color in zip(ax.get_yticklabels(), colors, strict=True):
        tick.set_color(color)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("value of the traversed latent (prior units)", fontsize=8)
    ax.set_ylabel("latent, sorted by KL (nats)", fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.draw_without_rendering()  # constrained layout settles over two passes; the PNG gets the second
    return figure


def _caption(run, traversal: Traversal, values: Sequence[float], source: str) -> str:
    where = (
        f"around the encoder mean of the input shown ({source}); the second column is its reconstruction"
        if traversal.with_input
        else f"around the prior mean (zeros): {source}, so there is no input, reconstruction or KL"
    )
    text = (
        f"Run {run.run_id}. Each row sets one latent to {len(values)} values in "
        f"[{min(values):g}, {max(values):g}] {where}; images are decoder means."
    )
    if traversal.kl is not None:
        inactive = int((~traversal.active).sum())
        text += (
            f" Rows sorted by the latent's KL from the prior, averaged over {KL_OBSERVATIONS} observations; "
            f"{inactive} of {len(traversal.order)} latent(s) inactive (encoder mean variance at most "
            f"{ACTIVE_VARIANCE} over them), shown in grey."
        )
    return text
