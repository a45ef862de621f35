"""Modularity and explicitness (Ridgeway & Mozer, NeurIPS 2018, "Learning Deep Disentangled Embeddings
With the F-Statistic Loss"), as disentanglement_lib computes them: the kernels on a train/test split, and
their planner (metric `modularity_explicitness`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import as_codes, as_factors, require_points, require_varied_factors, train_test_pair
from evaluation._discretize import discrete_mutual_info, histogram_discretize
from evaluation.estimators import estimator_record
from evaluation.fits import FitResult, FitTask, MapFn, run_tasks
from evaluation.metrics.sizes import SplitConfig
from evaluation.plan import MetricPlan, ReplicaJob, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, sample_split

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


def modularity_from_mutual_info(mutual_info: np.ndarray) -> float:
    """Mean over codes of 1 - (sum of squared MI but the max) / (max squared MI * (K - 1)); a code whose
    largest MI is 0 scores 0. `mutual_info` is [num_codes, num_factors] with K >= 2."""
    squared = np.square(np.asarray(mutual_info, dtype=np.float64))
    if squared.shape[1] < 2:
        raise ValueError("modularity needs at least 2 factors (it measures concentration on one of them).")
    top = squared.max(axis=1)
    informative = top > 0.0
    score = np.zeros(squared.shape[0])
    deviation = (squared.sum(axis=1) - top)[informative] / (top[informative] * (squared.shape[1] - 1.0))
    score[informative] = 1.0 - deviation
    return float(np.mean(score))


def modularity(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> float:
    """Modularity of histogram-binned codes: does each code carry information about one factor only?"""
    codes = as_codes(codes)
    factors = as_factors(factors, codes.shape[0])
    require_points(codes.shape[0], 2, "modularity")
    require_varied_factors(factors)
    return modularity_from_mutual_info(discrete_mutual_info(histogram_discretize(codes, num_bins), factors))


def standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Z-score both splits with the train mean and std; a constant code (std 0) is only centred.

    disentanglement_lib divides by the zero std and crashes on the resulting NaN; a centred constant code
    carries no information, which is what it is.
    """
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)
    return (train - mean) / std, (test - mean) / std


def explicitness_tasks(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    seed: int = 0,
) -> list[FitTask]:
    """One logistic regression per factor on standardized codes, scored by macro one-vs-rest ROC-AUC."""
    x_tr, y_tr, x_te, y_te = train_test_pair(codes_train, factors_train, codes_test, factors_test)
    x_tr, x_te = standardize(x_tr, x_te)
    return [
        FitTask("logistic", seed, x_tr, y_tr[:, k], x_te, y_te[:, k], score="macro_roc_auc")
        for k in range(y_tr.shape[1])
    ]


def explicitness_from_fits(fits: list[FitResult]) -> dict[str, float]:
    """Mean train and test ROC-AUC over factors."""
    return {
        "explicitness_score_train": float(np.mean([fit.train_score for fit in fits])),
        "explicitness_score_test": float(np.mean([fit.test_score for fit in fits])),
    }


def explicitness(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    seed: int = 0,
    map_fn: MapFn | None = None,
) -> dict[str, float]:
    """Explicitness: how well a linear classifier recovers each factor (ROC-AUC on train and test).

    A class missing from a split is left out of that split's macro mean (disentanglement_lib raises there).
    """
    return explicitness_from_fits(
        run_tasks(explicitness_tasks(codes_train, factors_train, codes_test, factors_test, seed), map_fn)
    )


@register(
    "modularity_explicitness",
    config=SplitConfig,
    study=SplitConfig(num_train=10_000, num_test=5_000),
    small=SplitConfig(num_train=1_000, num_test=500),
    scores=("modularity_score", "explicitness_score_train", "explicitness_score_test"),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Modularity on the training split's binned codes, explicitness from per-factor logistic regressions."""
    cfg = config.modularity_explicitness
    codes_tr, f_tr, codes_te, f_te = sample_split(
        data, represent, cfg.num_train, cfg.num_test, rng, config.encode_batch_size
    )
    seed = config.estimator_seed

    def build(r: int) -> ReplicaJob:
        tasks = explicitness_tasks(codes_tr[r], f_tr, codes_te[r], f_te, seed)
        return ReplicaJob(
            tasks,
            lambda fits: {
                "modularity_score": modularity(codes_tr[r], f_tr, config.num_bins),
                **explicitness_from_fits(fits),
            },
        )

    params = {**vars(cfg), "num_bins": config.num_bins, **estimator_record("logistic", seed)}
    return MetricPlan(params, per_replica(codes_tr.shape[0], build))
