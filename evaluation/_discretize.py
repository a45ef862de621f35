"""Histogram discretization and discrete mutual information, the building blocks of MIG, modularity and the
unsupervised mutual-information score (disentanglement_lib's `utils` semantics)."""

from __future__ import annotations

import numpy as np


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


def mutual_info(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Mutual information (nats) of two label vectors: `sklearn.metrics.mutual_info_score`'s formula.

    The same arithmetic on a dense contingency table built with `np.bincount`, without sklearn's per-call
    input validation, which took over 90% of the time of MIG, modularity and the mutual-information score.
    """
    _, a = np.unique(labels_true, return_inverse=True)
    _, b = np.unique(labels_pred, return_inverse=True)
    size_a, size_b = a.max() + 1, b.max() + 1
    if size_a == 1 or size_b == 1:
        return 0.0
    joint = np.bincount(a * size_b + b, minlength=size_a * size_b).reshape(size_a, size_b)
    nzx, nzy = np.nonzero(joint)
    counts = joint[nzx, nzy].astype(np.float64)
    total = counts.sum()
    pi, pj = joint.sum(axis=1), joint.sum(axis=0)
    p_joint = counts / total
    log_outer = (
        -np.log(pi[nzx].astype(np.int64) * pj[nzy].astype(np.int64)) + np.log(pi.sum()) + np.log(pj.sum())
    )
    mi = p_joint * (np.log(counts) - np.log(total)) + p_joint * log_outer
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(np.clip(mi.sum(), 0.0, None))


def discrete_mutual_info(labels_a: np.ndarray, labels_b: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of each column of `labels_a` [N, p] with each of `labels_b`: [p, q]."""
    result = np.zeros((labels_a.shape[1], labels_b.shape[1]))
    for i in range(labels_a.shape[1]):
        for j in range(labels_b.shape[1]):
            result[i, j] = mutual_info(labels_b[:, j], labels_a[:, i])
    return result


def discrete_entropy(labels: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each label column [N, K], computed as its mutual information with itself."""
    return np.array([mutual_info(labels[:, k], labels[:, k]) for k in range(labels.shape[1])])
