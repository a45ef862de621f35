"""β-VAE (Higgins et al. 2017, Eq. 4): β·KL."""

from __future__ import annotations

import jax

from models.objectives.base import Objective, RegularizerInputs


def beta_vae_regularizer(inputs: RegularizerInputs) -> tuple[jax.Array, dict[str, jax.Array]]:
    """β times the KL divergence to the prior."""
    return inputs.strength * inputs.kl, {}


BETA_VAE = Objective.of_study("beta_vae", beta_vae_regularizer)
