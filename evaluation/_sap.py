"""SAP score (Kumar et al., ICLR 2018, "Variational Inference of Disentangled Latent Concepts from Unlabeled
Observations", Sec. 3), as disentanglement_lib computes it."""

from __future__ import annotations

import numpy as np

from evaluation._checks import train_test_pair
from evaluation.fits import FitResult, FitTask, MapFn, run_tasks


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
