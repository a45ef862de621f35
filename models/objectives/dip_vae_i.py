"""DIP-VAE-I (Kumar et al. 2018, Eq. 6): KL + the DIP penalty on Cov[μ(x)], λ_d = 10·λ_od."""

from __future__ import annotations

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


DIP_VAE_I = Objective(
    "dip_vae_i",
    "lambda_od",
    (1.0, 2.0, 5.0, 10.0, 20.0, 50.0),
    dip_vae_i_regularizer,
    fixed_params={"lambda_d_factor": 10.0},
)
