"""DIP-VAE-I (Kumar et al. 2018, Eq. 6): KL + the DIP penalty on Cov[μ(x)], λ_d = 10·λ_od."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from models.losses import covariance, dip_penalty
from models.objectives.base import Objective, RegularizerInputs


def dip_vae_i_regularizer(
    inputs: RegularizerInputs, lambda_d_factor: float
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """KL + λ_od·Σ_{i≠j} Cov_ij² + λ_d·Σ (Cov_ii - 1)² with Cov the batch covariance of the encoder means."""
    lambda_od = inputs.strength
    penalty = dip_penalty(covariance(inputs.z_mean), lambda_od, lambda_d_factor * lambda_od)
    return inputs.kl + penalty, {}


@dataclass(frozen=True)
class DipVAEIHyperparameters:
    """disentanglement_lib's fixed value: λ_d = 10·λ_od for DIP-VAE-I."""

    lambda_d_factor: float = 10.0


DIP_VAE_I = Objective.of_study("dip_vae_i", dip_vae_i_regularizer, hyperparameters=DipVAEIHyperparameters())
