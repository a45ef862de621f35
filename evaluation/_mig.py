"""Mutual Information Gap (Chen et al., 2018, "Isolating Sources of Disentanglement in VAEs")."""

from __future__ import annotations

import numpy as np

from evaluation._checks import as_codes, as_factors, require_points, require_varied_factors
from evaluation._discretize import discrete_entropy, discrete_mutual_info, histogram_discretize


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
