"""β-TCVAE (Chen et al. 2018, Eq. 4 with α = γ = 1): KL + (β - 1)·TC, TC by minibatch-weighted sampling."""

from __future__ import annotations

import jax

from models.losses import total_correlation, total_correlation_normalized
from models.objectives.base import Objective, RegularizerInputs


def beta_tc_vae_regularizer(inputs: RegularizerInputs) -> tuple[jax.Array, dict[str, jax.Array]]:
    """KL + (β - 1)·TC with disentanglement_lib's unnormalised TC; also logs TC with its constant restored."""
    tc = total_correlation(inputs.z_sampled, inputs.z_mean, inputs.z_logvar)
    batch_size, num_latents = inputs.z_sampled.shape
    normalized = total_correlation_normalized(tc, num_latents, batch_size, inputs.dataset_size)
    return inputs.kl + (inputs.strength - 1.0) * tc, {"tc": tc, "tc_normalized": normalized}


BETA_TC_VAE = Objective.of_study("beta_tc_vae", beta_tc_vae_regularizer)
