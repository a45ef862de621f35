"""Histogram discretization and discrete mutual information, the building blocks of MIG, modularity and the
unsupervised mutual-information score (disentanglement_lib's `utils` semantics)."""

from __future__ import annotations

import numpy as np
from sklearn import metrics


def histogram_discretize(codes: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Bin each code column into `num_bins` equal-width bins over its sample range: int64 labels 1..num_bins.

    Uses `np.histogram` edges and `np.digitize` on all edges but the last, exactly as disentanglement_lib,
    so the maximum lands in the last bin and a constant column gets a single label.
    """
    if num_bins < 1:
        raise ValueError(f"num_bins must be >= 1; got {num_bins}.")
    codes = np.asarray(codes)
    out = np.empty(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram(codes[:, j], num_bins)[1]
        out[:, j] = np.digitize(codes[:, j], edges[:-1])
    return out


def discrete_mutual_info(labels_a: np.ndarray, labels_b: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of each column of `labels_a` [N, p] with each of `labels_b`: [p, q]."""
    result = np.zeros((labels_a.shape[1], labels_b.shape[1]))
    for i in range(labels_a.shape[1]):
        for j in range(labels_b.shape[1]):
            result[i, j] = metrics.mutual_info_score(labels_b[:, j], labels_a[:, i])
    return result


def discrete_entropy(labels: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each label column [N, K], computed as its mutual information with itself."""
    return np.array([metrics.mutual_info_score(labels[:, k], labels[:, k]) for k in range(labels.shape[1])])
