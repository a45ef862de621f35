"""Unsupervised scores of a representation (Locatello et al., 2019, Sec. 5): Gaussian total correlation and
Wasserstein correlation of the code covariance, and the mean pairwise mutual information of binned codes:
the kernels on one sample of codes, and their planner."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy import linalg

from evaluation._checks import as_codes, require_points
from evaluation._discretize import discrete_mutual_info, histogram_discretize
from evaluation.metrics.sizes import SampleConfig
from evaluation.plan import MetricPlan, no_fits, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, sample_codes

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


def _checked_covariance(cov: np.ndarray) -> np.ndarray:
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] == 0:
        raise ValueError(f"cov must be a square [d, d] covariance matrix; got shape {cov.shape}.")
    if not np.all(np.isfinite(cov)):
        raise ValueError("cov contains NaN/inf; compute it from finite codes.")
    negative = np.nonzero(np.diag(cov) < 0.0)[0]
    if negative.size:
        raise ValueError(
            f"cov has negative variance at code dimension(s) {negative.tolist()}; it is not a "
            "covariance matrix."
        )
    return cov


def gaussian_total_correlation(cov: np.ndarray) -> float:
    """KL(N(0, cov) || N(0, diag(cov))) = 0.5 (sum log cov_ii - log det cov); +inf for a singular cov.

    A constant code dimension (zero variance) makes it NaN (log 0 - log 0), as in disentanglement_lib.
    """
    cov = _checked_covariance(cov)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov: np.ndarray) -> float:
    """Squared 2-Wasserstein distance of N(0, cov) to N(0, diag(cov)): 2 tr cov - 2 tr sqrtm(cov diag).

    Finite for a constant code dimension too, as in disentanglement_lib (same formula, same matrix; scipy's
    warning that the product is singular is silenced: the square root of a singular PSD matrix exists).
    """
    cov = _checked_covariance(cov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov * np.diag(cov)[:, None])
    return float(np.real(2 * np.trace(cov) - 2 * np.trace(root)))


def code_covariance(codes: np.ndarray) -> np.ndarray:
    """`np.cov` of the code dimensions (ddof 1), the input of the Gaussian scores."""
    codes = as_codes(codes)
    require_points(codes.shape[0], 2, "a covariance")
    return np.atleast_2d(np.cov(codes, rowvar=False))


def mutual_info_score(codes: np.ndarray, num_bins: int = 20) -> float:
    """Mean mutual information (nats) between distinct pairs of histogram-binned code dimensions."""
    codes = as_codes(codes)
    require_points(codes.shape[0], 2, "mutual_info_score")
    d = codes.shape[1]
    if d < 2:
        raise ValueError("mutual_info_score needs at least 2 code dimensions (it averages over pairs).")
    binned = histogram_discretize(codes, num_bins)
    mi = discrete_mutual_info(binned, binned)
    np.fill_diagonal(mi, 0.0)
    return float(np.sum(mi) / (d * d - d))


def unsupervised_scores(codes: np.ndarray, num_bins: int = 20) -> dict[str, float]:
    """All four unsupervised scores of one representation sample, keyed by their score names."""
    cov = code_covariance(codes)
    wasserstein = gaussian_wasserstein_correlation(cov)
    return {
        "gaussian_total_correlation": gaussian_total_correlation(cov),
        "gaussian_wasserstein_correlation": wasserstein,
        "gaussian_wasserstein_correlation_norm": _ratio(wasserstein, float(np.sum(np.diag(cov)))),
        "mutual_info_score": mutual_info_score(codes, num_bins),
    }


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator with numpy's float semantics (NaN or inf for a zero denominator, no raise)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(numerator) / np.float64(denominator))


@register(
    "unsupervised",
    config=SampleConfig,
    study=SampleConfig(num_train=10_000),
    small=SampleConfig(num_train=1_000),
    scores=(
        "gaussian_total_correlation",
        "gaussian_wasserstein_correlation",
        "gaussian_wasserstein_correlation_norm",
        "mutual_info_score",
    ),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Gaussian total/Wasserstein correlation and mean pairwise MI of `unsupervised.num_train` codes."""
    cfg = config.unsupervised
    codes, _ = sample_codes(data, represent, cfg.num_train, rng, config.encode_batch_size)
    jobs = per_replica(
        codes.shape[0], lambda r: no_fits(lambda: unsupervised_scores(codes[r], config.num_bins))
    )
    return MetricPlan({**vars(cfg), "num_bins": config.num_bins}, jobs)
