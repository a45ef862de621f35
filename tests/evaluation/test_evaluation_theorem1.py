"""Theorem 1: f(z) has the distribution of z, yet every coordinate mixes all of z and the metrics fall."""

import numpy as np
import pytest
from scipy import stats

from evaluation import kernels, theorem1


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_dense_householder_is_orthogonal_with_no_zero_entry(d):
    a = theorem1.dense_householder(d)
    np.testing.assert_allclose(a @ a.T, np.eye(d), atol=1e-12)
    assert np.all(np.abs(a) > 1e-9)


def test_entangled_codes_keep_the_distribution_but_lose_the_metrics():
    data = theorem1.FactorizedUniform((4, 5, 6))
    rng = np.random.default_rng(0)
    factors = data.sample_factors(4000, rng)
    z = data.observations_from_factors(factors, rng).reshape(4000, 3).astype(np.float64)
    fz = theorem1.uniform_entangling_map(3)(z)
    for i in range(3):  # same uniform marginals ...
        assert stats.kstest(fz[:, i], "uniform").pvalue > 0.01
    assert np.max(np.abs(np.corrcoef(fz.T) - np.eye(3))) < 0.05  # ... uncorrelated like z ...
    assert np.min(np.abs(np.corrcoef(z.T, fz.T)[:3, 3:])) > 0.2  # ... but each output mixes every input
    assert kernels.mig(z, factors) > 0.5 > kernels.mig(fz, factors) + 0.3
    assert kernels.modularity(fz, factors) < kernels.modularity(z, factors) - 0.2


def test_entangling_map_with_gaussian_marginals():
    cdf, quantile = stats.norm.cdf, stats.norm.ppf
    f = theorem1.entangling_map([cdf] * 4, [quantile] * 4)
    z = np.random.default_rng(1).normal(size=(20000, 4))
    fz = f(z)
    np.testing.assert_allclose(np.cov(fz.T), np.eye(4), atol=0.05)  # N(0, I) is mapped to N(0, I)
    np.testing.assert_allclose(fz, z @ theorem1.dense_householder(4).T, atol=1e-6)  # f = A for Gaussian z


def test_bad_arguments():
    with pytest.raises(ValueError, match="orthogonal"):
        theorem1.entangling_map([np.asarray] * 2, [np.asarray] * 2, a=np.ones((2, 2)))
    with pytest.raises(ValueError, match="one of each"):
        theorem1.entangling_map([np.asarray] * 2, [np.asarray] * 3)
    with pytest.raises(ValueError, match=r"z must be \[N, 3\]"):
        theorem1.uniform_entangling_map(3)(np.zeros((5, 2)))
