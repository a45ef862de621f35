"""The report's figures (matplotlib, no display needed): each function returns a Figure from StudyData or a
correlation table, and draws only what the data hold."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.load import StudyData
from analysis.quantities import FACTOR_VAE, GBT_EFFICIENCY, METRICS, TC_MEAN, TC_SAMPLED, Quantity

PANEL = (3.0, 2.4)  # inches per panel
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _grid(rows: int, columns: int, title: str, sharex: bool | str = False) -> tuple[Figure, np.ndarray]:
    height = PANEL[1] * rows + 0.6
    figure = Figure(figsize=(PANEL[0] * columns, height), dpi=80)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=sharex)
    # A fixed layout: matplotlib's constrained layout costs seconds on the 42-panel grids.
    figure.subplots_adjust(
        left=0.9 / (PANEL[0] * columns),
        right=0.98,
        bottom=0.7 / height,
        top=1 - 0.6 / height,
        wspace=0.35,
        hspace=0.6,
    )
    figure.suptitle(title)
    return figure, axes


def _wrap(count: int, per_row: int = 4) -> tuple[int, int]:
    columns = min(count, per_row)
    return -(-count // columns), columns


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def _strength_axis(ax: Axes, strengths: Sequence[float]) -> None:
    ax.set_xticks(range(len(strengths)), [f"{s:g}" for s in strengths], fontsize=7)


def total_correlation(study: StudyData) -> Figure:
    """Gaussian total correlation of the sampled and the mean codes against the strength, per objective
    (paper Fig. 1): one line per data set, the median over seeds with its interquartile band."""
    objectives = study.objectives
    figure, axes = _grid(2, len(objectives), "Gaussian total correlation against regularization strength")
    for row, quantity in enumerate((TC_SAMPLED, TC_MEAN)):
        for column, objective in enumerate(objectives):
            ax = axes[row, column]
            runs = study.per_run[study.per_run["objective"] == objective]
            strengths = sorted(runs["strength"].unique())
            for index, dataset in enumerate(study.datasets):
                stats = (
                    runs[runs["dataset"] == dataset]
                    .groupby("strength")[quantity.label]
                    .quantile([0.25, 0.5, 0.75])
                    .unstack()
                    .reindex(strengths)
                )
                if stats.notna().any().any():
                    x = np.arange(len(strengths))
                    ax.plot(x, stats[0.5], marker="o", ms=3, color=_color(index), label=dataset)
                    ax.fill_between(x, stats[0.25], stats[0.75], color=_color(index), alpha=0.2)
            _strength_axis(ax, strengths)
            ax.set_title(f"{objective}", fontsize=9)
            ax.set_ylabel(quantity.label if column == 0 else "", fontsize=8)
    axes[0, -1].legend(fontsize=6)
    return figure


def heatmaps(
    table: pd.DataFrame, title: str, value_range: tuple[float, float] = (-1.0, 1.0)
) -> Figure | None:
    """One annotated heat map per block of a correlation table indexed (block, row), e.g. per data set;
    None for an empty table."""
    if table.empty:
        return None
    blocks = list(dict.fromkeys(table.index.get_level_values(0)))
    rows, columns = _wrap(len(blocks), 3)
    width = max(3.0, 0.55 * table.shape[1] + 1.8)
    height = 0.4 * table.shape[0] / len(blocks) + 1.8
    figure = Figure(figsize=(width * columns + 1.2, height * rows + 0.6), dpi=80)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    figure.subplots_adjust(
        left=1.4 / (width * columns + 1.2),
        right=0.9,
        bottom=1.2 / (height * rows + 0.6),
        top=1 - 0.6 / (height * rows + 0.6),
        wspace=0.9,
        hspace=0.9,
    )
    figure.suptitle(title)
    for ax, block in zip(axes, blocks, strict=False):
        values = table.loc[block]
        image = ax.imshow(values.to_numpy(float), vmin=value_range[0], vmax=value_range[1], cmap="RdBu_r")
        ax.set_xticks(range(values.shape[1]), values.columns, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(values.shape[0]), values.index, fontsize=7)
        for (i, j), value in np.ndenumerate(values.to_numpy(float)):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
        ax.set_title(str(block), fontsize=9)
    for ax in axes[len(blocks) :]:
        ax.set_visible(False)
    figure.colorbar(image, cax=figure.add_axes((0.93, 0.25, 0.012, 0.5)), label="Spearman rank correlation")
    return figure


def _violins(ax: Axes, groups: Sequence[np.ndarray]) -> None:
    """Violins where a group has two or more distinct values, a dot where it has one value."""
    finite = [values[np.isfinite(values)] for values in groups]
    spread = [i for i, values in enumerate(finite) if len(np.unique(values)) >= 2]
    if spread:
        body = ax.violinplot([finite[i] for i in spread], positions=spread, showmedians=True, widths=0.8)
        for position, part in zip(spread, body["bodies"], strict=True):
            part.set_facecolor(_color(position))
    for position, values in enumerate(finite):
        if position not in spread and len(values):
            ax.plot([position], values[:1], "o", color=_color(position))


def _violin_grid(
    title: str, cells: list[list[tuple[str, list[np.ndarray]]]], labels: list[list[str]], rotate: bool
) -> Figure:
    """A grid of violin panels sharing x within a column: `cells[row][column]` is (panel title, groups) with
    the groups aligned to `labels[column]` (an empty group leaves a gap); only the bottom row is labelled."""
    figure, axes = _grid(len(cells), len(labels), title, sharex="col")
    for row, panels in enumerate(cells):
        for column, (name, groups) in enumerate(panels):
            _violins(axes[row, column], groups)
            axes[row, column].set_title(name, fontsize=8)
    for column, names in enumerate(labels):
        axes[-1, column].set_xticks(
            range(len(names)),
            names,
            rotation=45 if rotate else 0,
            ha="right" if rotate else "center",
            fontsize=7,
        )
    return figure


def _groups(frame: pd.DataFrame, column: str, keys: Sequence, label: str) -> list[np.ndarray]:
    """Values of `label` for each of `keys` of `column` (empty where a key has no rows)."""
    found = {key: part[label].to_numpy(float) for key, part in frame.groupby(column)}
    return [found.get(key, np.empty(0)) for key in keys]


def scores_by_objective(study: StudyData) -> Figure:
    """Distribution of each metric per objective on each data set, over strengths and seeds (paper Fig. 3)."""
    objectives = study.objectives
    cells = []
    for dataset in study.datasets:
        runs = study.per_run[study.per_run["dataset"] == dataset]
        cells.append(
            [
                (f"{dataset}: {metric.label}", _groups(runs, "objective", objectives, metric.label))
                for metric in METRICS
            ]
        )
    labels = [[o.replace("_", " ") for o in objectives]] * len(METRICS)
    return _violin_grid("Metric scores per objective (rows: data sets)", cells, labels, rotate=True)


def scores_by_strength(study: StudyData, metric: Quantity = FACTOR_VAE) -> Figure:
    """Distribution of `metric` per strength for each objective and data set, over seeds (paper Fig. 4):
    how much the seed moves a score compared with the hyperparameter."""
    objectives = study.objectives
    strengths = [
        sorted(study.per_run.loc[study.per_run["objective"] == o, "strength"].unique()) for o in objectives
    ]
    cells = []
    for dataset in study.datasets:
        runs = study.per_run[study.per_run["dataset"] == dataset]
        cells.append(
            [
                (
                    f"{dataset}: {objective}",
                    _groups(runs[runs["objective"] == objective], "strength", values, metric.label),
                )
                for objective, values in zip(objectives, strengths, strict=True)
            ]
        )
    labels = [[f"{s:g}" for s in values] for values in strengths]
    return _violin_grid(
        f"{metric.label} score per regularization strength (rows: data sets)", cells, labels, rotate=False
    )


def efficiency_against_factor_vae(study: StudyData) -> Figure:
    """GBT sample efficiency (accuracy at 100 / at 10,000 samples) against the FactorVAE score (Fig. 6)."""
    datasets = study.datasets
    figure, axes = _grid(*_wrap(len(datasets)), "Downstream sample efficiency (GBT) against FactorVAE score")
    flat = axes.ravel()
    for ax, dataset in zip(flat, datasets, strict=False):
        runs = study.per_run[study.per_run["dataset"] == dataset]
        for index, objective in enumerate(study.objectives):
            part = runs[runs["objective"] == objective]
            ax.scatter(
                part[FACTOR_VAE.label], part[GBT_EFFICIENCY.label], s=4, color=_color(index), label=objective
            )
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel(FACTOR_VAE.label, fontsize=8)
        ax.set_ylabel(GBT_EFFICIENCY.label, fontsize=8)
    flat[0].legend(fontsize=6, markerscale=2)
    for ax in flat[len(datasets) :]:
        ax.set_visible(False)
    return figure


def training_curves(study: StudyData) -> Figure:
    """Median training loss against step per objective on each data set (over strengths and seeds)."""
    medians = study.curves.groupby(["dataset", "objective", "step"], observed=True)["loss"].median()
    present = set(medians.index.get_level_values("dataset"))
    datasets = [d for d in study.datasets if d in present]
    figure, axes = _grid(*_wrap(len(datasets)), "Training loss (median over strengths and seeds)")
    flat = axes.ravel()
    for ax, dataset in zip(flat, datasets, strict=False):
        lines = medians.loc[dataset]
        for index, objective in enumerate(study.objectives):
            if objective in lines.index.get_level_values("objective"):
                line = lines.loc[objective]
                ax.plot(line.index, line.to_numpy(), color=_color(index), label=objective)
        if (lines > 0).all():
            ax.set_yscale("log")
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
    flat[0].legend(fontsize=6)
    for ax in flat[len(datasets) :]:
        ax.set_visible(False)
    return figure
