"""Loss terms shared by the objectives, written after disentanglement_lib's `vae.py` and `losses.py`."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax


def bernoulli_reconstruction(images: jax.Array, logits: jax.Array) -> jax.Array:
    """Per-sample reconstruction loss [B]: sigmoid cross-entropy of the decoder logits, summed over pixels.

    TensorFlow's `sigmoid_cross_entropy_with_logits` formula, max(l, 0) - l·x + log(1 + e^-|l|), which
    disentanglement_lib used: one exp and one log per pixel. The pixel sum is a product with a vector of ones
    at float32 precision (whatever the matmul precision in force) because XLA:CPU runs a plain sum of this
    expression as a slow element-at-a-time reduction (docs/benchmarks.md, "Why our own convolutions").
    """
    per_pixel = jnp.maximum(logits, 0.0) - logits * images + jnp.log1p(jnp.exp(-jnp.abs(logits)))
    flat = per_pixel.reshape(per_pixel.shape[0], -1)
    return jnp.dot(flat, jnp.ones(flat.shape[1], flat.dtype), precision=lax.Precision.HIGHEST)


def gaussian_kl_per_sample(mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """KL(N(mean, exp(log_var)) || N(0, I)) = 0.5 * sum(mean² + exp(log_var) - log_var - 1) per sample [B]."""
    return 0.5 * jnp.sum(jnp.square(mean) + jnp.exp(log_var) - log_var - 1.0, axis=1)


def gaussian_kl(mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """Batch mean of the KL divergence to the standard normal prior (disentanglement_lib's `kl_loss`)."""
    return jnp.mean(gaussian_kl_per_sample(mean, log_var))


def gaussian_log_density(samples: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """Elementwise log N(samples; mean, exp(log_var))."""
    diff = samples - mean
    return -0.5 * (diff * diff * jnp.exp(-log_var) + log_var + math.log(2.0 * math.pi))


def total_correlation(z: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """β-TCVAE's minibatch-weighted TC estimate as disentanglement_lib computes it (constants dropped).

    log q(z_j) ≈ logsumexp_i log q(z_j | x_i) and log Π_l q(z_jl) ≈ Σ_l logsumexp_i log q(z_jl | x_i), both
    without their normalising constants, so the value is offset by -(d - 1)·log(N·M); see
    `total_correlation_normalized` for the value with the constant restored.
    """
    log_qz_prob = gaussian_log_density(z[:, None, :], mean[None, :, :], log_var[None, :, :])  # [j, i, l]
    log_qz_product = jnp.sum(jax.nn.logsumexp(log_qz_prob, axis=1), axis=1)
    log_qz = jax.nn.logsumexp(jnp.sum(log_qz_prob, axis=2), axis=1)
    return jnp.mean(log_qz - log_qz_product)


def total_correlation_normalized(
    raw_tc: jax.Array, num_latents: int, batch_size: int, dataset_size: int
) -> jax.Array:
    """The minibatch-weighted-sampling TC with its constant (d - 1)·log(N·M) restored (Chen et al. 2018)."""
    return raw_tc + (num_latents - 1) * math.log(float(batch_size) * float(dataset_size))


def covariance(x: jax.Array) -> jax.Array:
    """Batch covariance E[x xᵀ] - E[x] E[x]ᵀ of x [B, d] (biased, as disentanglement_lib computes it)."""
    centered_outer = jnp.mean(x[:, :, None] * x[:, None, :], axis=0)
    mean = jnp.mean(x, axis=0)
    return centered_outer - mean[:, None] * mean[None, :]


def dip_penalty(cov: jax.Array, lambda_od: jax.Array, lambda_d: jax.Array) -> jax.Array:
    """DIP-VAE penalty λ_od·Σ_{i≠j} cov_ij² + λ_d·Σ_i (cov_ii - 1)²: how far `cov` is from the identity."""
    diag = jnp.diagonal(cov)
    off_diag = cov - jnp.diag(diag)
    return lambda_od * jnp.sum(off_diag**2) + lambda_d * jnp.sum((diag - 1.0) ** 2)


def anneal(c_max: jax.Array, step: jax.Array, iteration_threshold: int) -> jax.Array:
    """AnnealedVAE capacity: grows linearly from 0 to c_max over `iteration_threshold` steps, then stays."""
    return jnp.minimum(c_max * 1.0, c_max * jnp.asarray(step, jnp.float32) / iteration_threshold)
