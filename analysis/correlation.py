"""Spearman rank correlations between quantities, over runs (paper Figs. 2 and 5, model-selection table) or
over hyperparameter settings across data sets (hyperparameter transfer).

The matrix functions (`metric_correlations`, ...) give the point estimates the heat maps draw. The tables the
report prints come from `intervals`: every correlation with its n (complete pairs) and a percentile bootstrap
interval over the runs (or settings), so a correlation over a handful of runs shows how little it says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from analysis.quantities import DOWNSTREAM, METRICS, UNSUPERVISED, Quantity

MIN_PAIRS = 3  # fewer complete pairs give no rank correlation worth printing
N_BOOT = 500  # bootstrap resamples per interval
LEVEL = 0.95  # coverage of the bootstrap intervals
LONG_COLUMNS = ["block", "quantity", "against", "n", "spearman", "ci_low", "ci_high"]


def rank_correlation(frame: pd.DataFrame, rows: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Spearman correlation of each `rows` column of `frame` with each `columns` column, over pairwise
    complete rows (NaN where fewer than MIN_PAIRS); a `rows` x `columns` frame."""
    names = list(dict.fromkeys([*rows, *columns]))
    matrix = frame[names].astype(float).corr(method="spearman", min_periods=MIN_PAIRS)
    return matrix.loc[list(rows), list(columns)]


def per_dataset(
    per_run: pd.DataFrame, datasets: Sequence[str], rows: Sequence[Quantity], columns: Sequence[Quantity]
) -> pd.DataFrame:
    """`rank_correlation` over each data set's runs, stacked: index (dataset, row label)."""
    row_labels, column_labels = [q.label for q in rows], [q.label for q in columns]
    blocks = {
        d: rank_correlation(per_run[per_run["dataset"] == d], row_labels, column_labels) for d in datasets
    }
    if not blocks:
        return pd.DataFrame(
            columns=column_labels, index=pd.MultiIndex.from_tuples([], names=["dataset", "quantity"])
        )
    stacked = pd.concat(blocks, names=["dataset", "quantity"])
    return stacked.dropna(how="all")


def _standardised_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (ties averaged), centred and scaled to unit norm (NaN if constant)."""
    ranks = rankdata(values, axis=-1)
    ranks -= ranks.mean(axis=-1, keepdims=True)
    norm = np.sqrt((ranks**2).sum(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, ranks / np.where(norm > 0, norm, 1.0), np.nan)


def _interval(boot: np.ndarray, n_boot: int) -> tuple[float, float]:
    boot = boot[np.isfinite(boot)]
    if len(boot) < n_boot // 2:  # most resamples constant: no interval worth printing
        return np.nan, np.nan
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(boot, [tail, 100 - tail])
    return float(low), float(high)


class _Block:
    """One block's columns with their bootstrap resamples: ranks of a fully observed column are computed once
    for all its pairs (the same resampled runs for every pair); a column with gaps is resampled per pair."""

    def __init__(self, frame: pd.DataFrame, rng: np.random.Generator, n_boot: int) -> None:
        self.frame, self.rng, self.n_boot = frame, rng, n_boot
        self.index = rng.integers(len(frame), size=(n_boot, len(frame))) if len(frame) else None
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _full(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        if label not in self.cache:
            x = self.frame[label].to_numpy(float)
            boot = _standardised_ranks(x[self.index]).astype(np.float32)
            self.cache[label] = (_standardised_ranks(x), boot)
        return self.cache[label]

    def pair(self, a: str, b: str) -> tuple[int, float, float, float]:
        """(n, Spearman, lower, upper) over the pairwise complete runs; NaN below MIN_PAIRS."""
        x, y = self.frame[a].to_numpy(float), self.frame[b].to_numpy(float)
        keep = np.isfinite(x) & np.isfinite(y)
        n = int(keep.sum())
        if n < MIN_PAIRS:
            return n, np.nan, np.nan, np.nan
        if n == len(x):
            (zx, bx), (zy, by) = self._full(a), self._full(b)
            rho = float((zx * zy).sum())
            return n, rho, *_interval((bx * by).sum(axis=-1, dtype=np.float64), self.n_boot)
        x, y = x[keep], y[keep]
        rho = float((_standardised_ranks(x) * _standardised_ranks(y)).sum())
        index = self.rng.integers(n, size=(self.n_boot, n))
        boot = (_standardised_ranks(x[index]) * _standardised_ranks(y[index])).sum(axis=-1)
        return n, rho, *_interval(boot, self.n_boot)


def long_intervals(
    blocks: dict[str, pd.DataFrame],
    rows: Sequence[str],
    columns: Sequence[str],
    symmetric: bool = False,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (block, row quantity, column quantity): n, Spearman and its bootstrap interval (LEVEL).
    Symmetric tables (rows == columns) list each pair once; pairs with fewer than MIN_PAIRS are left out."""
    found = []
    for number, (name, frame) in enumerate(blocks.items()):
        block = _Block(frame, np.random.default_rng([seed, number]), n_boot)
        for i, row in enumerate(rows):
            for j, column in enumerate(columns):
                if row == column or (symmetric and j <= i) or row not in frame or column not in frame:
                    continue
                n, rho, low, high = block.pair(row, column)
                if n >= MIN_PAIRS and np.isfinite(rho):
                    found.append((name, row, column, n, rho, low, high))
    return pd.DataFrame(found, columns=LONG_COLUMNS)


def intervals(
    per_run: pd.DataFrame,
    datasets: Sequence[str],
    rows: Sequence[Quantity],
    columns: Sequence[Quantity],
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """`long_intervals` over each data set's runs; the block column is named `dataset`."""
    row_labels, column_labels = [q.label for q in rows], [q.label for q in columns]
    blocks = {d: per_run[per_run["dataset"] == d] for d in datasets}
    table = long_intervals(blocks, row_labels, column_labels, row_labels == column_labels, n_boot, seed)
    return table.rename(columns={"block": "dataset"})


def dataset_intervals(
    per_run: pd.DataFrame,
    datasets: Sequence[str],
    metrics: Sequence[Quantity] = METRICS,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """The hyperparameter-transfer correlations (`dataset_correlations`) with n (settings) and intervals
    (resampling settings); the block column is named `metric`."""
    blocks = (
        {metric.label: _medians(per_run, datasets, metric) for metric in metrics}
        if len(datasets) >= 2
        else {}
    )
    table = long_intervals(blocks, list(datasets), list(datasets), True, n_boot, seed)
    return table.rename(columns={"block": "metric"})


def display(table: pd.DataFrame) -> pd.DataFrame:
    """A long interval table as a matrix for reading: one row per (block, quantity) with its n (a range where
    the pairs differ) and one column per `against`, cells "rho [low, high]"."""
    if table.empty:
        return table
    block = table.columns[0]
    cells = table.assign(
        cell=[
            f"{rho:.2f} [{low:.2f}, {high:.2f}]" if np.isfinite(low) else f"{rho:.2f} [no interval]"
            for rho, low, high in zip(table["spearman"], table["ci_low"], table["ci_high"], strict=True)
        ]
    )
    order = list(dict.fromkeys(table["against"]))
    matrix = cells.pivot_table(
        index=[block, "quantity"], columns="against", values="cell", aggfunc="first", sort=False
    )
    matrix = matrix.reindex(columns=order).fillna("")
    counts = table.groupby([block, "quantity"], sort=False)["n"].agg(["min", "max"])
    n = [f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in zip(counts["min"], counts["max"], strict=True)]
    matrix.insert(0, "n", pd.Series(n, index=counts.index).reindex(matrix.index))
    matrix.columns.name = None
    return matrix.reset_index()


def _medians(per_run: pd.DataFrame, datasets: Sequence[str], metric: Quantity) -> pd.DataFrame:
    return (
        per_run[per_run["dataset"].isin(datasets)]
        .groupby(["objective", "strength", "dataset"])[metric.label]
        .median()
        .unstack("dataset")
        .reindex(columns=list(datasets))
    )


def metric_correlations(per_run: pd.DataFrame, datasets: Sequence[str]) -> pd.DataFrame:
    """Rank correlation between the six metrics on each data set (paper Fig. 2)."""
    return per_dataset(per_run, datasets, METRICS, METRICS)


def selection_correlations(per_run: pd.DataFrame, datasets: Sequence[str]) -> pd.DataFrame:
    """Rank correlation between unsupervised scores and the metrics on each data set (model selection)."""
    return per_dataset(per_run, datasets, UNSUPERVISED, METRICS)


def downstream_correlations(
    per_run: pd.DataFrame, datasets: Sequence[str], downstream: Sequence[Quantity] = DOWNSTREAM
) -> pd.DataFrame:
    """Rank correlation between the metrics and downstream accuracy/efficiency on each data set (Fig. 5);
    `downstream`: the quantities at the store's training-set sizes (`StudyData.downstream`)."""
    return per_dataset(per_run, datasets, METRICS, downstream)


def dataset_correlations(
    per_run: pd.DataFrame, datasets: Sequence[str], metrics: Sequence[Quantity] = METRICS
) -> pd.DataFrame:
    """For each metric, the rank correlation between data sets of its median per (objective, strength):
    does a good hyperparameter setting on one data set stay good on another? Index (metric, dataset);
    empty with fewer than two data sets."""
    blocks = {}
    for metric in metrics if len(datasets) >= 2 else ():
        block = rank_correlation(_medians(per_run, datasets, metric), list(datasets), list(datasets))
        if block.notna().any().any():
            blocks[metric.label] = block
    if not blocks:
        return pd.DataFrame(
            columns=list(datasets), index=pd.MultiIndex.from_tuples([], names=["metric", "dataset"])
        )
    return pd.concat(blocks, names=["metric", "dataset"]).dropna(how="all")
