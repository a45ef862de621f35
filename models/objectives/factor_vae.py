"""FactorVAE (Kim & Mnih 2018, Eq. 2): KL + γ·TC, TC estimated by a discriminator trained alongside."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from models.objectives.base import Objective, RegularizerInputs


def factor_vae_regularizer(inputs: RegularizerInputs) -> tuple[jax.Array, dict[str, jax.Array]]:
    """KL + γ·TC with TC = batch mean of (logit₀ - logit₁), the discriminator's density-ratio estimate."""
    logits = inputs.discriminator_logits
    tc = jnp.mean(logits[:, 0] - logits[:, 1])
    return inputs.kl + inputs.strength * tc, {"tc": tc}


def shuffle_codes(key: jax.Array, z: jax.Array) -> jax.Array:
    """z [B, d] with each dimension permuted independently across the batch: a sample of Π_l q(z_l)."""
    permutations = jnp.argsort(jax.random.uniform(key, z.shape), axis=0)
    return jnp.take_along_axis(z, permutations, axis=0)


def discriminator_loss(logits_z: jax.Array, logits_shuffled: jax.Array) -> jax.Array:
    """Cross-entropy with class 0 = codes from q(z), class 1 = shuffled codes (each half weighted 0.5)."""
    log_p_z = jax.nn.log_softmax(logits_z)[:, 0]
    log_p_shuffled = jax.nn.log_softmax(logits_shuffled)[:, 1]
    return -(0.5 * jnp.mean(log_p_z) + 0.5 * jnp.mean(log_p_shuffled))


FACTOR_VAE = Objective.of_study("factor_vae", factor_vae_regularizer, uses_discriminator=True)
