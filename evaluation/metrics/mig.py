"""Mutual Information Gap (Chen et al., 2018, "Isolating Sources of Disentanglement in VAEs"): the kernel on
one sample of codes and factors, and its planner (one sample shared by all replicas)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import as_codes, as_factors, require_points, require_varied_factors
from evaluation._discretize import discrete_entropy, discrete_mutual_info, histogram_discretize
from evaluation.metrics.sizes import SampleConfig
from evaluation.plan import MetricPlan, no_fits, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, sample_codes

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


def mig(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> float:
    """MIG: mean over factors of (largest - second largest code MI) / factor entropy, on binned codes.

    Needs at least two code dimensions (the gap is between the top two) and factors that vary in the sample.
    """
    codes = as_codes(codes)
    factors = as_factors(factors, codes.shape[0])
    require_points(codes.shape[0], 2, "MIG")
    require_varied_factors(factors)
    if codes.shape[1] < 2:
        raise ValueError("MIG needs at least 2 code dimensions (it is a gap between the top two).")
    mi = discrete_mutual_info(histogram_discretize(codes, num_bins), factors)  # [d, K]
    ranked = np.sort(mi, axis=0)[::-1]
    return float(np.mean((ranked[0] - ranked[1]) / discrete_entropy(factors)))


@register(
    "mig",
    config=SampleConfig,
    study=SampleConfig(num_train=10_000),
    small=SampleConfig(num_train=1_000),
    scores=("discrete_mig",),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """MIG on `mig.num_train` points."""
    cfg = config.mig
    codes, factors = sample_codes(data, represent, cfg.num_train, rng, config.encode_batch_size)
    jobs = per_replica(
        codes.shape[0], lambda r: no_fits(lambda: {"discrete_mig": mig(codes[r], factors, config.num_bins)})
    )
    return MetricPlan({**vars(cfg), "num_bins": config.num_bins}, jobs)
