"""Ground-truth samples and their codes for all replicas at once: factors are drawn once, observations are
rendered and encoded in large chunks, and every replica sees exactly the same points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

Represent = Callable[[np.ndarray], np.ndarray]  # obs float32 [N, H, W, C] -> codes [R, N, d]


class GroundTruth(Protocol):
    """What the metrics need of `data.GroundTruthData`."""

    factor_sizes: tuple[int, ...]

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    def observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...


def encode(
    data: GroundTruth, represent: Represent, factors: np.ndarray, rng: np.random.Generator, batch_size: int
) -> np.ndarray:
    """Codes [R, N, d] of the observations of `factors` [N, K], rendered and encoded in chunks."""
    chunks = []
    for start in range(0, factors.shape[0], batch_size):
        part = factors[start : start + batch_size]
        codes = np.asarray(represent(data.observations_from_factors(part, rng)))
        if codes.ndim != 3 or codes.shape[1] != part.shape[0]:
            raise ValueError(
                f"represent must return codes of shape [replicas, {part.shape[0]}, dims] for {part.shape[0]} "
                f"observations; got shape {codes.shape}."
            )
        chunks.append(codes)
    return np.concatenate(chunks, axis=1)


def sample_codes(
    data: GroundTruth, represent: Represent, num_points: int, rng: np.random.Generator, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw `num_points` factor vectors, encode their observations: (codes [R, N, d], factors [N, K])."""
    factors = np.asarray(data.sample_factors(num_points, rng), dtype=np.int64)
    return encode(data, represent, factors, rng, batch_size), factors


def sample_split(
    data: GroundTruth,
    represent: Represent,
    num_train: int,
    num_test: int,
    rng: np.random.Generator,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A train sample then a fresh test sample: (codes_train, factors_train, codes_test, factors_test)."""
    codes_tr, f_tr = sample_codes(data, represent, num_train, rng, batch_size)
    codes_te, f_te = sample_codes(data, represent, num_test, rng, batch_size)
    return codes_tr, f_tr, codes_te, f_te


def encode_groups(
    data: GroundTruth,
    represent: Represent,
    groups: np.ndarray,
    rng: np.random.Generator,
    encode_batch_size: int,
    reduce: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Encode groups of factors [P, G, K] a whole number of groups per call and reduce each group's codes.

    `reduce` maps codes [R, p, G, d] to [R, p, ...]; only the reduced arrays are kept, so the BetaVAE and
    FactorVAE scores' ~10^6 codes per replica never sit in memory at once.
    """
    num_groups, group_size, num_factors = groups.shape
    per_call = max(1, encode_batch_size // group_size)
    parts = []
    for start in range(0, num_groups, per_call):
        part = groups[start : start + per_call]
        codes = encode(data, represent, part.reshape(-1, num_factors), rng, part.shape[0] * group_size)
        parts.append(reduce(codes.reshape(codes.shape[0], part.shape[0], group_size, codes.shape[-1])))
    return np.concatenate(parts, axis=1)


def fixed_factor_batches(
    data: GroundTruth, num_points: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per point a random factor index k and a batch [batch_size, K] of factors: (k [P], [P, B, K]).

    The batches are free samples; the callers tie factor k within or across batches.
    """
    num_factors = len(data.factor_sizes)
    index = rng.integers(num_factors, size=num_points)
    batches = np.asarray(data.sample_factors(num_points * batch_size, rng), dtype=np.int64)
    return index, batches.reshape(num_points, batch_size, num_factors)
