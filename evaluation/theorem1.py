"""Theorem 1 of Locatello et al. (ICML 2019), made runnable.

For a factorized distribution p(z) = prod_i p(z_i) the map f = g^-1 . h^-1 . A . h . g (g: the marginal CDFs,
h: the standard normal quantile, A: a Householder reflection with no zero entry) gives f(z) exactly the
distribution of z, yet every output coordinate depends on every input coordinate. Without supervision a model
cannot tell z from f(z); the disentanglement metrics can, and fall from about 1 to low values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import special

Transform = Callable[[np.ndarray], np.ndarray]
_EPS = 1e-12


def householder(v: np.ndarray) -> np.ndarray:
    """The reflection I - 2 v v^T / (v^T v): orthogonal and symmetric, so it maps N(0, I) to itself."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or not np.any(v):
        raise ValueError("v must be a non-zero vector.")
    return np.eye(v.size) - 2.0 * np.outer(v, v) / (v @ v)


def dense_householder(num_dims: int) -> np.ndarray:
    """A Householder matrix with every entry non-zero that mixes all coordinates alike.

    v = (1, ..., 1) gives diagonal 1 - 2/d and off-diagonal -2/d; for d = 2 the diagonal vanishes, so v_1 is
    raised until every entry is non-zero.
    """
    if num_dims < 2:
        raise ValueError("the entangling map needs at least 2 dimensions.")
    v = np.ones(num_dims)
    while True:
        a = householder(v)
        if np.all(np.abs(a) > 1e-9):
            return a
        v[0] += 0.5


def entangling_map(
    cdfs: Sequence[Transform], quantiles: Sequence[Transform], a: np.ndarray | None = None
) -> Transform:
    """f(z) = g^-1(Phi(A Phi^-1(g(z)))) for z [N, d], with g_i = `cdfs[i]` and g_i^-1 = `quantiles[i]`.

    `a` defaults to `dense_householder(d)`; any orthogonal A keeps the distribution, a dense one entangles.
    """
    if len(cdfs) != len(quantiles):
        raise ValueError(
            f"got {len(cdfs)} CDFs but {len(quantiles)} quantile functions; give one of each per dim."
        )
    matrix = dense_householder(len(cdfs)) if a is None else np.asarray(a, dtype=np.float64)
    if not np.allclose(matrix @ matrix.T, np.eye(len(cdfs)), atol=1e-8):
        raise ValueError("a must be an orthogonal [d, d] matrix (else f(z) changes the distribution).")

    def f(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != len(cdfs):
            raise ValueError(f"z must be [N, {len(cdfs)}]; got shape {z.shape}.")
        u = np.column_stack([cdf(z[:, i]) for i, cdf in enumerate(cdfs)])
        gaussian = special.ndtri(np.clip(u, _EPS, 1.0 - _EPS)) @ matrix.T
        mixed = special.ndtr(gaussian)
        return np.column_stack([q(mixed[:, i]) for i, q in enumerate(quantiles)])

    return f


def uniform_entangling_map(num_dims: int) -> Transform:
    """The entangling map for z uniform on [0, 1]^d, where g and g^-1 are the identity."""
    identity = [lambda x: x] * num_dims
    return entangling_map(identity, identity)


class FactorizedUniform:
    """A ground truth for the theorem: z ~ U[0, 1]^K, factor k = floor(z_k * size_k), observation = z.

    It has the `data.GroundTruthData` sampling interface (observations are [N, 1, 1, K] "images"), so every
    metric, sampling ones included, can score z and f(z) as representations.
    """

    def __init__(self, factor_sizes: Sequence[int]):
        if len(factor_sizes) < 2 or min(factor_sizes) < 2:
            raise ValueError(f"need at least 2 factors of at least 2 values each; got {tuple(factor_sizes)}.")
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        self.factor_names = tuple(f"z{k}" for k in range(len(self.factor_sizes)))
        self.observation_shape = (1, 1, len(self.factor_sizes))

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Independent uniform factor classes, int64 [n, K]."""
        return np.column_stack([rng.integers(size, size=n) for size in self.factor_sizes]).astype(np.int64)

    def observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """z uniform within each factor's cell, float32 [n, 1, 1, K]: the latent itself as the observation."""
        z = (factors + rng.random(factors.shape)) / np.asarray(self.factor_sizes)
        return z.astype(np.float32).reshape(-1, *self.observation_shape)


def latent_representation(transforms: Sequence[Transform]) -> Callable[[np.ndarray], np.ndarray]:
    """Batched representation of `FactorizedUniform` observations: replica r's codes are transforms[r](z)."""

    def represent(observations: np.ndarray) -> np.ndarray:
        z = np.asarray(observations, dtype=np.float64).reshape(observations.shape[0], -1)
        return np.stack([t(z) for t in transforms]).astype(np.float32)

    return represent
