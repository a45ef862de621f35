"""Spearman rank correlations between quantities, over runs (paper Figs. 2 and 5, model-selection table) or
over hyperparameter settings across data sets (hyperparameter transfer)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.quantities import DOWNSTREAM, METRICS, UNSUPERVISED, Quantity

MIN_PAIRS = 3  # fewer complete pairs give no rank correlation worth printing


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


def metric_correlations(per_run: pd.DataFrame, datasets: Sequence[str]) -> pd.DataFrame:
    """Rank correlation between the six metrics on each data set (paper Fig. 2)."""
    return per_dataset(per_run, datasets, METRICS, METRICS)


def selection_correlations(per_run: pd.DataFrame, datasets: Sequence[str]) -> pd.DataFrame:
    """Rank correlation between unsupervised scores and the metrics on each data set (model selection)."""
    return per_dataset(per_run, datasets, UNSUPERVISED, METRICS)


def downstream_correlations(per_run: pd.DataFrame, datasets: Sequence[str]) -> pd.DataFrame:
    """Rank correlation between the metrics and downstream accuracy/efficiency on each data set (Fig. 5)."""
    return per_dataset(per_run, datasets, METRICS, DOWNSTREAM)


def dataset_correlations(
    per_run: pd.DataFrame, datasets: Sequence[str], metrics: Sequence[Quantity] = METRICS
) -> pd.DataFrame:
    """For each metric, the rank correlation between data sets of its median per (objective, strength):
    does a good hyperparameter setting on one data set stay good on another? Index (metric, dataset);
    empty with fewer than two data sets."""
    blocks = {}
    for metric in metrics if len(datasets) >= 2 else ():
        medians = (
            per_run[per_run["dataset"].isin(datasets)]
            .groupby(["objective", "strength", "dataset"])[metric.label]
            .median()
            .unstack("dataset")
            .reindex(columns=list(datasets))
        )
        block = rank_correlation(medians, list(datasets), list(datasets))
        if block.notna().any().any():
            blocks[metric.label] = block
    if not blocks:
        return pd.DataFrame(
            columns=list(datasets), index=pd.MultiIndex.from_tuples([], names=["metric", "dataset"])
        )
    return pd.concat(blocks, names=["metric", "dataset"]).dropna(how="all")
