"""SAP score (Kumar et al., ICLR 2018, "Variational Inference of Disentangled Latent Concepts from Unlabeled
Observations", Sec. 3), as disentanglement_lib computes it: its settings, the kernel on a train/test split,
and its planner (metric `sap_score`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import train_test_pair
from evaluation._fields import at_least_two
from evaluation.estimators import estimator_record
from evaluation.fits import FitResult, FitTask, MapFn, run_tasks
from evaluation.plan import MetricPlan, ReplicaJob, no_fits, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, sample_split

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


@dataclass(frozen=True)
class SAPConfig:
    """SAP: split sizes and the discrete (study) or continuous variant."""

    num_train: int = 10_000
    num_test: int = 5_000
    continuous: bool = False

    def __post_init__(self) -> None:
        at_least_two(self, "num_train", "num_test")


def gap_of_top_two(score_matrix: np.ndarray) -> float:
    """Mean over factors (columns) of the difference between the two largest code scores (rows)."""
    if score_matrix.shape[0] < 2:
        raise ValueError("SAP needs at least 2 code dimensions (it is a gap between the top two).")
    ranked = np.sort(score_matrix, axis=0)
    return float(np.mean(ranked[-1] - ranked[-2]))


def continuous_score_matrix(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """[d, K] squared correlation of each code with each factor; 0 for a code with variance <= 1e-12."""
    matrix = np.zeros((codes.shape[1], factors.shape[1]))
    for i in range(codes.shape[1]):
        for j in range(factors.shape[1]):
            cov = np.cov(codes[:, i], factors[:, j], ddof=1)
            if cov[0, 0] > 1e-12:
                matrix[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
    return matrix


def sap_tasks(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    seed: int = 0,
) -> list[FitTask]:
    """One balanced linear SVM (C=0.01) per (code, factor) pair on that single code, in row-major order."""
    x_tr, y_tr, x_te, y_te = train_test_pair(codes_train, factors_train, codes_test, factors_test)
    return [
        FitTask("linear_svc", seed, x_tr[:, [i]], y_tr[:, j], x_te[:, [i]], y_te[:, j])
        for i in range(x_tr.shape[1])
        for j in range(y_tr.shape[1])
    ]


def sap_from_fits(fits: list[FitResult], num_codes: int) -> float:
    """SAP from the (code, factor) fits' test accuracies."""
    return gap_of_top_two(np.array([fit.test_score for fit in fits]).reshape(num_codes, -1))


def sap(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    continuous: bool = False,
    *,
    seed: int = 0,
    map_fn: MapFn | None = None,
) -> float:
    """SAP: mean over factors of the gap between the two codes that predict it best.

    Discrete (the study's setting): test accuracy of a per-(code, factor) linear SVM. Continuous: squared
    correlation on the training split (the test split is then only validated).
    """
    if continuous:
        x_tr, y_tr, _, _ = train_test_pair(codes_train, factors_train, codes_test, factors_test)
        return gap_of_top_two(continuous_score_matrix(x_tr, y_tr))
    tasks = sap_tasks(codes_train, factors_train, codes_test, factors_test, seed)
    return sap_from_fits(run_tasks(tasks, map_fn), np.shape(codes_train)[1])


@register(
    "sap_score",
    config=SAPConfig,
    study=SAPConfig(num_train=10_000, num_test=5_000),
    small=SAPConfig(num_train=1_000, num_test=500),
    scores=("SAP_score",),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """SAP, discrete (per-pair linear SVMs) or continuous (squared correlations) as `sap_score.continuous`."""
    cfg = config.sap_score
    codes_tr, f_tr, codes_te, f_te = sample_split(
        data, represent, cfg.num_train, cfg.num_test, rng, config.encode_batch_size
    )
    seed = config.estimator_seed

    def build(r: int) -> ReplicaJob:
        if cfg.continuous:
            return no_fits(lambda: {"SAP_score": sap(codes_tr[r], f_tr, codes_te[r], f_te, continuous=True)})
        tasks = sap_tasks(codes_tr[r], f_tr, codes_te[r], f_te, seed)
        return ReplicaJob(tasks, lambda fits: {"SAP_score": sap_from_fits(fits, codes_tr.shape[-1])})

    params = {**vars(cfg), **({} if cfg.continuous else estimator_record("linear_svc", seed))}
    return MetricPlan(params, per_replica(codes_tr.shape[0], build))
