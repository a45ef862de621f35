"""Disentanglement, Completeness and Informativeness (Eastwood & Williams, ICLR 2018) from
gradient-boosted-tree feature importances, as disentanglement_lib computes them: the kernel on a train/test
split, and its planner (one GBT fit per factor and replica, pooled by `evaluate`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from evaluation._checks import train_test_pair
from evaluation.estimators import estimator_record, gbt_estimator_name
from evaluation.fits import FitResult, FitTask, MapFn, run_tasks
from evaluation.metrics.sizes import SplitConfig
from evaluation.plan import MetricPlan, ReplicaJob, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, sample_split

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


def disentanglement(importance: np.ndarray) -> float:
    """D: per code 1 - entropy (base K) of its importance over factors, weighted by its importance share.

    `importance` is [num_codes, num_factors]; an all-zero matrix weights codes uniformly (score 0).
    """
    importance = np.asarray(importance, dtype=np.float64)
    per_code = 1.0 - stats.entropy(importance.T + 1e-11, base=importance.shape[1])
    weights = importance if importance.sum() != 0.0 else np.ones_like(importance)
    return float(np.sum(per_code * weights.sum(axis=1) / weights.sum()))


def completeness(importance: np.ndarray) -> float:
    """C: per factor 1 - entropy (base d) of its importance over codes, weighted by the factor's share."""
    importance = np.asarray(importance, dtype=np.float64)
    per_factor = 1.0 - stats.entropy(importance + 1e-11, base=importance.shape[0])
    weights = importance if importance.sum() != 0.0 else np.ones_like(importance)
    return float(np.sum(per_factor * weights.sum(axis=0) / weights.sum()))


def dci_tasks(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    backend: str = "sklearn",
    seed: int = 0,
) -> list[FitTask]:
    """One GBT fit per factor (validated inputs); run them with `fits.run_tasks` and pass the results to
    `dci_from_fits`."""
    x_tr, y_tr, x_te, y_te = train_test_pair(codes_train, factors_train, codes_test, factors_test)
    name = gbt_estimator_name(backend)
    return [FitTask(name, seed, x_tr, y_tr[:, k], x_te, y_te[:, k]) for k in range(y_tr.shape[1])]


def dci_from_fits(fits: list[FitResult]) -> dict[str, float]:
    """Assemble the DCI scores from the per-factor fits (importance matrix column k from factor k's model)."""
    importance = np.stack([fit.importances for fit in fits], axis=1)  # [num_codes, num_factors]
    return {
        "disentanglement": disentanglement(importance),
        "completeness": completeness(importance),
        "informativeness_train": float(np.mean([fit.train_score for fit in fits])),
        "informativeness_test": float(np.mean([fit.test_score for fit in fits])),
    }


def dci(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    backend: str = "sklearn",
    seed: int = 0,
    map_fn: MapFn | None = None,
) -> dict[str, float]:
    """DCI scores: `disentanglement`, `completeness` and GBT accuracy `informativeness_train`/`_test`.

    `backend="sklearn"` is disentanglement_lib's GradientBoostingClassifier; `"lightgbm"` is the fast
    approximation. `map_fn` runs the per-factor fits (e.g. `parallel.local_map(4)`); default in process.
    """
    tasks = dci_tasks(codes_train, factors_train, codes_test, factors_test, backend, seed)
    return dci_from_fits(run_tasks(tasks, map_fn))


@register(
    "dci",
    config=SplitConfig,
    study=SplitConfig(num_train=10_000, num_test=5_000),
    small=SplitConfig(num_train=300, num_test=150),
    scores=("disentanglement", "completeness", "informativeness_train", "informativeness_test"),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """DCI with one GBT per factor (backend from `gbt_backend`), fitted on `dci.num_train` points."""
    cfg = config.dci
    codes_tr, f_tr, codes_te, f_te = sample_split(
        data, represent, cfg.num_train, cfg.num_test, rng, config.encode_batch_size
    )
    seed, backend = config.estimator_seed, config.gbt_backend

    def build(r: int) -> ReplicaJob:
        return ReplicaJob(dci_tasks(codes_tr[r], f_tr, codes_te[r], f_te, backend, seed), dci_from_fits)

    params = {**vars(cfg), **estimator_record(gbt_estimator_name(backend), seed)}
    return MetricPlan(params, per_replica(codes_tr.shape[0], build))
