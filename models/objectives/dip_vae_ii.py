"""DIP-VAE-II (Kumar et al. 2018, Eq. 7): KL + DIP penalty on Cov[μ(x)] + E[diag σ²(x)], λ_d = λ_od."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from models.losses import covariance, dip_penalty
from models.objectives.base import Objective, RegularizerInputs


def dip_vae_ii_regularizer(
    inputs: RegularizerInputs, lambda_d_factor: float
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """KL + the DIP penalty on the aggregate posterior's covariance (means' covariance + mean variances)."""
    lambda_od = inputs.strength
    cov_z = covariance(inputs.z_mean) + jnp.diag(jnp.mean(jnp.exp(inputs.z_logvar), axis=0))
    penalty = dip_penalty(cov_z, lambda_od, lambda_d_factor * lambda_od)
    return inputs.kl + penalty, {}


@dataclass(frozen=True)
class DipVAEIIHyperparameters:
    """disentanglement_lib's fixed value: λ_d = λ_od for DIP-VAE-II."""

    lambda_d_factor: float = 1.0


DIP_VAE_II = Objective.of_study(
    "dip_vae_ii", dip_vae_ii_regularizer, hyperparameters=DipVAEIIHyperparameters()
)
