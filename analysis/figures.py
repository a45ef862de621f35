"""The report's figures (matplotlib, no display needed): each function returns a Figure from StudyData or a
correlation table, and draws only what the data hold."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

from analysis.load import StudyData
from analysis.quantities import FACTOR_VAE, GBT_EFFICIENCY, METRICS, TC_MEAN, TC_SAMPLED, Quantity

PANEL = (3.0, 2.4)  # inches per panel
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
MIN_VIOLIN = 5  # groups with fewer runs are drawn as points: a violin of 1-4 values is a shape made up
POINTS_NOTE = f"groups of fewer than {MIN_VIOLIN} runs drawn as points"


def _grid(rows: int, columns: int, title: str, sharex: bool | str = False) -> tuple[Figure, np.ndarray]:
    """A figure of rows x columns panels under `title`, laid out by matplotlib's constrained layout so that
    no title, label or legend is clipped (checked by `texts_outside`)."""
    width = max(PANEL[0] * columns, _title_width(title))
    figure = Figure(figsize=(width, PANEL[1] * rows + 0.6), dpi=80, layout=_layout())
    axes = figure.subplots(rows, columns, squeeze=False, sharex=sharex)
    figure.suptitle(title)
    return figure, axes


def _layout() -> ConstrainedLayoutEngine:
    """Constrained layout with a margin wide enough that an edge tick label is never cut (the default pad
    let the last tick label of a panel overhang the canvas by a few pixels)."""
    return ConstrainedLayoutEngine(w_pad=0.1, h_pad=0.08)


def _title_width(title: str, fontsize: float = 12.0) -> float:
    """Inches a suptitle needs (a generous 0.6 em per character, plus margins)."""
    return 0.6 * fontsize / 72 * max(len(line) for line in title.splitlines()) + 0.5


def settled(function):
    """Run constrained layout once more before returning the figure: it settles over two passes (the first
    can leave a label a few pixels off the canvas), and a saved PNG gets the settled layout."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        figure = function(*args, **kwargs)
        if figure is not None:
            figure.draw_without_rendering()
        return figure

    return wrapper


def texts_outside(figure: Figure, tolerance: float = 1.0) -> list[str]:
    """The visible texts of `figure` (titles, labels, ticks, legends, annotations) whose drawn extent leaves
    the canvas by more than `tolerance` pixels: what a saved PNG would clip."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height()
    undrawn = set()  # labels of ticks outside their axis' view interval: kept by matplotlib, never drawn
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 * (high - low) <= tick.get_loc() <= high + 1e-9 * (high - low):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    outside = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        axes = text.axes
        if axes is not None and not axes.get_visible():
            continue
        box = text.get_window_extent(renderer)
        if (
            box.x0 < -tolerance
            or box.y0 < -tolerance
            or box.x1 > width + tolerance
            or box.y1 > height + tolerance
        ):
            outside.append(text.get_text())
    return outside


def _wrap(count: int, per_row: int = 4) -> tuple[int, int]:
    columns = max(1, min(count, per_row))
    return max(1, -(-count // columns)), columns


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def _strength_axis(ax: Axes, strengths: Sequence[float]) -> None:
    ax.set_xticks(range(len(strengths)), [f"{s:g}" for s in strengths], fontsize=7)


def _strength_label(study: StudyData, objective: str) -> str:
    names = study.per_run.loc[study.per_run["objective"] == objective, "strength_name"].unique()
    return f"strength ({', '.join(map(str, names))})" if len(names) else "strength"


@settled
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
            n = int(np.isfinite(runs[quantity.label].to_numpy(float)).sum())
            ax.set_title(f"{objective} (n = {n})", fontsize=9)
            ax.set_ylabel(quantity.label, fontsize=8)
            ax.set_xlabel(_strength_label(study, objective), fontsize=8)
    axes[0, -1].legend(fontsize=6)
    return figure


@settled
def heatmaps(
    table: pd.DataFrame,
    title: str,
    value_range: tuple[float, float] = (-1.0, 1.0),
    counts: dict[str, int] | None = None,
    axis_labels: tuple[str, str] = ("", ""),
) -> Figure | None:
    """One annotated heat map per block of a correlation table indexed (block, row), e.g. per data set,
    titled with the block's number of runs from `counts`; `axis_labels` name the (x, y) axes. None for an
    empty table."""
    if table.empty:
        return None
    blocks = list(dict.fromkeys(table.index.get_level_values(0)))
    rows, columns = _wrap(len(blocks), 3)
    width = max(3.4, 0.5 * table.shape[1] + 2.4)
    height = 0.38 * table.shape[0] / len(blocks) + 2.2
    figure = Figure(figsize=(width * columns + 1.0, height * rows + 0.6), dpi=80, layout=_layout())
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    figure.suptitle(title)
    for ax, block in zip(axes, blocks, strict=False):
        values = table.loc[block]
        image = ax.imshow(
            values.to_numpy(float), vmin=value_range[0], vmax=value_range[1], cmap="RdBu_r", aspect="auto"
        )
        ax.set_xticks(range(values.shape[1]), values.columns, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(values.shape[0]), values.index, fontsize=7)
        for (i, j), value in np.ndenumerate(values.to_numpy(float)):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
        n = (counts or {}).get(block)
        ax.set_title(f"{block}" + (f" (n = {n} runs)" if n is not None else ""), fontsize=9)
        ax.set_xlabel(axis_labels[0], fontsize=8)
        ax.set_ylabel(axis_labels[1], fontsize=8)
    for ax in axes[len(blocks) :]:
        ax.set_visible(False)
    figure.colorbar(image, ax=axes[: len(blocks)].tolist(), label="Spearman rank correlation", shrink=0.8)
    return figure


def _violins(ax: Axes, groups: Sequence[np.ndarray]) -> bool:
    """Violins where a group has MIN_VIOLIN or more values (and some spread), its values as points (slightly
    spread sideways) otherwise; True if any group was drawn as points."""
    finite = [values[np.isfinite(values)] for values in groups]
    spread = [i for i, v in enumerate(finite) if len(v) >= MIN_VIOLIN and len(np.unique(v)) >= 2]
    if spread:
        body = ax.violinplot([finite[i] for i in spread], positions=spread, showmedians=True, widths=0.8)
        for position, part in zip(spread, body["bodies"], strict=True):
            part.set_facecolor(_color(position))
    points = False
    for position, values in enumerate(finite):
        if position not in spread and len(values):
            offsets = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else np.zeros(1)
            ax.plot(position + offsets, values, "o", ms=4, color=_color(position))
            points = True
    return points


def _violin_grid(
    title: str,
    cells: list[list[tuple[str, list[np.ndarray], str]]],
    labels: list[list[str]],
    rotate: bool,
    xlabels: list[str],
) -> Figure:
    """A grid of violin panels sharing x within a column: `cells[row][column]` is (panel title, groups, y
    label) with the groups aligned to `labels[column]` (an empty group leaves a gap); only the bottom row has
    tick labels, named by `xlabels[column]`. Each panel's title gets its number of runs."""
    figure, axes = _grid(len(cells), len(labels), title, sharex="col")
    points = False
    for row, panels in enumerate(cells):
        for column, (name, groups, ylabel) in enumerate(panels):
            points |= _violins(axes[row, column], groups)
            n = sum(int(np.isfinite(g).sum()) for g in groups)
            axes[row, column].set_title(f"{name} (n = {n})", fontsize=8)
            axes[row, column].set_ylabel(ylabel, fontsize=7)
    for column, names in enumerate(labels):
        axes[-1, column].set_xticks(
            range(len(names)),
            names,
            rotation=45 if rotate else 0,
            ha="right" if rotate else "center",
            fontsize=7,
        )
        axes[-1, column].set_xlabel(xlabels[column], fontsize=8)
    if points:
        figure.suptitle(f"{title}\n({POINTS_NOTE})")
        needed = _title_width(f"({POINTS_NOTE})")
        if figure.get_figwidth() < needed:
            figure.set_figwidth(needed)
    return figure


def _groups(frame: pd.DataFrame, column: str, keys: Sequence, label: str) -> list[np.ndarray]:
    """Values of `label` for each of `keys` of `column` (empty where a key has no rows)."""
    found = {key: part[label].to_numpy(float) for key, part in frame.groupby(column)}
    return [found.get(key, np.empty(0)) for key in keys]


@settled
def scores_by_objective(study: StudyData) -> Figure:
    """Distribution of each metric per objective on each data set, over strengths and seeds (paper Fig. 3)."""
    objectives = study.objectives
    cells = []
    for dataset in study.datasets:
        runs = study.per_run[study.per_run["dataset"] == dataset]
        cells.append(
            [
                (
                    f"{dataset}: {metric.label}",
                    _groups(runs, "objective", objectives, metric.label),
                    metric.label,
                )
                for metric in METRICS
            ]
        )
    labels = [[o.replace("_", " ") for o in objectives]] * len(METRICS)
    return _violin_grid(
        "Metric scores per objective (rows: data sets)", cells, labels, True, ["objective"] * len(METRICS)
    )


@settled
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
                    metric.label,
                )
                for objective, values in zip(objectives, strengths, strict=True)
            ]
        )
    labels = [[f"{s:g}" for s in values] for values in strengths]
    return _violin_grid(
        f"{metric.label} score per regularization strength (rows: data sets)",
        cells,
        labels,
        False,
        [_strength_label(study, objective) for objective in objectives],
    )


@settled
def efficiency_against_factor_vae(study: StudyData, sizes: tuple[int, int] | None = None) -> Figure:
    """GBT sample efficiency (accuracy with the smaller over that with the larger training set of `sizes`;
    the study: 100 and 10,000) against the FactorVAE score (Fig. 6)."""
    datasets = study.datasets
    figure, axes = _grid(*_wrap(len(datasets)), "Downstream sample efficiency (GBT)\nagainst FactorVAE score")
    ylabel = f"GBT accuracy {sizes[0]:,} / {sizes[1]:,}" if sizes else GBT_EFFICIENCY.label
    flat = axes.ravel()
    for ax, dataset in zip(flat, datasets, strict=False):
        runs = study.per_run[study.per_run["dataset"] == dataset]
        for index, objective in enumerate(study.objectives):
            part = runs[runs["objective"] == objective]
            ax.scatter(
                part[FACTOR_VAE.label], part[GBT_EFFICIENCY.label], s=4, color=_color(index), label=objective
            )
        both = np.isfinite(runs[[FACTOR_VAE.label, GBT_EFFICIENCY.label]].to_numpy(float)).all(axis=1)
        ax.set_title(f"{dataset} (n = {int(both.sum())})", fontsize=9)
        ax.set_xlabel(f"{FACTOR_VAE.label} score", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
    flat[0].legend(fontsize=6, markerscale=2)
    for ax in flat[len(datasets) :]:
        ax.set_visible(False)
    return figure


@settled
def training_curves(study: StudyData) -> Figure:
    """Median training loss against step per objective on each data set (over strengths and seeds)."""
    medians = study.curves.groupby(["dataset", "objective", "step"], observed=True)["loss"].median()
    present = set(medians.index.get_level_values("dataset"))
    datasets = [d for d in study.datasets if d in present]
    figure, axes = _grid(*_wrap(len(datasets)), "Training loss\n(median over strengths and seeds)")
    flat = axes.ravel()
    for ax, dataset in zip(flat, datasets, strict=False):
        lines = medians.loc[dataset]
        for index, objective in enumerate(study.objectives):
            if objective in lines.index.get_level_values("objective"):
                line = lines.loc[objective]
                ax.plot(line.index, line.to_numpy(), color=_color(index), label=objective)
        if (lines > 0).all():
            ax.set_yscale("log")
        n = study.curves.loc[study.curves["dataset"] == dataset, "run_id"].nunique()
        ax.set_title(f"{dataset} (n = {n} runs)", fontsize=9)
        ax.set_xlabel("training step", fontsize=8)
        ax.set_ylabel("loss (nats per image)", fontsize=8)
    flat[0].legend(fontsize=6)
    for ax in flat[len(datasets) :]:
        ax.set_visible(False)
    return figure
