"""Batched functions of many trained models at once: representations for the metrics, held-out model scores.

Parameters of R runs are stacked and every chunk of observations goes through all R encoders in one vmapped,
jitted call; chunks are padded to a fixed size so one compilation serves any number of observations. The
networks come from `VAE.from_config` with the shape of the observations given, never from the parameters.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from models.config import MatmulPrecision, TrainConfig
from models.losses import bernoulli_reconstruction, gaussian_kl_per_sample
from models.network import VAE, sample
from models.precision import at_precision


def _stack(params_list: Sequence[Any]) -> Any:
    if not params_list:
        raise ValueError("need the parameters of at least one run")
    return jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *params_list)


def _as_observations(observations: np.ndarray) -> np.ndarray:
    """The observations as float32 [N, H, W, C], or a ValueError naming the shape they have."""
    observations = np.asarray(observations, np.float32)
    if observations.ndim != 4:
        raise ValueError(f"observations must be float32 [N, H, W, C], got shape {observations.shape}")
    return observations


def _chunks(observations: np.ndarray, size: int):
    """Yield (chunk padded to `size` rows, number of real rows) over float32 observations [N, H, W, C]."""
    for start in range(0, observations.shape[0], size):
        chunk = observations[start : start + size]
        real = chunk.shape[0]
        if real < size:
            chunk = np.concatenate([chunk, np.zeros((size - real, *chunk.shape[1:]), np.float32)])
        yield chunk, real


@functools.lru_cache(maxsize=16)
def _encode(vae: VAE, precision: MatmulPrecision, kind: str) -> Callable[..., jax.Array]:
    """Jitted (stacked params, x, key) -> codes [R, B, d]; compiled once per network, not per call."""

    @jax.jit
    def encode(stacked: Any, x: jax.Array, key: jax.Array) -> jax.Array:
        mean, log_var = jax.vmap(lambda p: vae.encode(p, x))(stacked)
        return sample(key, mean, log_var) if kind == "sampled" else mean

    return at_precision(encode, precision)


def represent_fn(
    params_list: Sequence[Any], config: TrainConfig, kind: Literal["mean", "sampled"] = "mean", seed: int = 0
) -> Callable[[np.ndarray], np.ndarray]:
    """A function observations float32 [N, H, W, C] -> codes float32 [R, N, d] for R trained runs.

    "mean" returns the encoder means (the representation the study scores); "sampled" draws z ~ q(z|x) with
    noise shared by all R runs (so a run's codes do not depend on which runs share the call) and fresh on each
    call, deterministically from `seed` and the call count.
    """
    if kind not in ("mean", "sampled"):
        raise ValueError(f"kind must be 'mean' or 'sampled', got {kind!r}")
    config = config.resolved(jax.default_backend())
    stacked = _stack([{"encoder": params["encoder"]} for params in params_list])
    calls = itertools.count()

    def represent(observations: np.ndarray) -> np.ndarray:
        observations = _as_observations(observations)
        vae = VAE.from_config(config, observations.shape[1:])
        encode = _encode(vae, config.matmul_precision, kind)
        call_key = jax.random.fold_in(jax.random.PRNGKey(seed), next(calls))
        parts = [
            np.asarray(encode(stacked, jnp.asarray(chunk), jax.random.fold_in(call_key, i)))[:, :real]
            for i, (chunk, real) in enumerate(_chunks(observations, config.represent_batch_size))
        ]
        return np.concatenate(parts, axis=1)

    return represent


@functools.lru_cache(maxsize=16)
def _per_sample_losses(
    vae: VAE, precision: MatmulPrecision
) -> Callable[[Any, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]:
    """Jitted (stacked params, x, key) -> per-sample (reconstruction, KL), each [R, B]."""

    @jax.jit
    def per_sample(stacked: Any, x: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        def one_run(params):
            mean, log_var = vae.encode(params, x)
            logits = vae.decode(params, sample(key, mean, log_var))
            return bernoulli_reconstruction(x, logits), gaussian_kl_per_sample(mean, log_var)

        return jax.vmap(one_run)(stacked)

    return at_precision(per_sample, precision)


def heldout_scores(
    params_list: Sequence[Any], config: TrainConfig, observations: np.ndarray, seed: int = 0
) -> list[dict[str, float]]:
    """Per run: mean reconstruction loss, mean KL and ELBO on the given observations (z sampled from `seed`).

    Signs follow disentanglement_lib's evaluation results: `reconstruction_loss` and `kl_loss` are positive
    losses and `elbo` = -(reconstruction_loss + kl_loss), the evidence lower bound itself.
    """
    config = config.resolved(jax.default_backend())
    stacked = _stack(params_list)
    observations = _as_observations(observations)
    vae = VAE.from_config(config, observations.shape[1:])
    per_sample = _per_sample_losses(vae, config.matmul_precision)
    rec_sum = np.zeros(len(params_list))
    kl_sum = np.zeros(len(params_list))
    count = 0
    base = jax.random.PRNGKey(seed)
    for i, (chunk, real) in enumerate(_chunks(observations, config.represent_batch_size)):
        rec, kl = jax.device_get(per_sample(stacked, jnp.asarray(chunk), jax.random.fold_in(base, i)))
        rec_sum += rec[:, :real].sum(axis=1)
        kl_sum += kl[:, :real].sum(axis=1)
        count += real
    if count == 0:
        raise ValueError("heldout_scores needs at least one observation")
    return [
        {
            "reconstruction_loss": float(r / count),
            "kl_loss": float(k / count),
            "elbo": float(-(r + k) / count),
        }
        for r, k in zip(rec_sum, kl_sum, strict=True)
    ]
