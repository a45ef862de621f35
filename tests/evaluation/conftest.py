"""Fixtures of the evaluation tests: small factorial ground truths whose observations are the latent z."""

import numpy as np
import pytest

from evaluation.theorem1 import FactorizedUniform

UNEVEN_SIZES = (3, 6, 40, 32, 32)  # dSprites' factor sizes


def factorial_sample(sizes, n, seed):
    """(z [n, K] uniform in each factor's cell, factors [n, K]) of a FactorizedUniform data set."""
    data = FactorizedUniform(sizes)
    rng = np.random.default_rng(seed)
    factors = data.sample_factors(n, rng)
    return data.observations_from_factors(factors, rng).reshape(n, -1).astype(np.float64), factors


@pytest.fixture
def small_data():
    """Three factors of 3, 4 and 5 values: fast classifiers, every class present in small samples."""
    return FactorizedUniform((3, 4, 5))
