"""Toy ground truths for the evaluation tests: factorial data whose observation is the latent z itself."""

import numpy as np

from evaluation.theorem1 import FactorizedUniform

UNEVEN_SIZES = (3, 6, 40, 32, 32)  # dSprites' factor sizes


def factorial_sample(sizes, n, seed):
    """(z [n, K] uniform in each factor's cell, factors [n, K]) of a FactorizedUniform data set."""
    data = FactorizedUniform(sizes)
    rng = np.random.default_rng(seed)
    factors = data.sample_factors(n, rng)
    return data.observations_from_factors(factors, rng).reshape(n, -1).astype(np.float64), factors
