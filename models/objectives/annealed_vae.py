"""AnnealedVAE (Burgess et al. 2018, Eq. 8): γ·|KL - C| with a capacity C annealed linearly to c_max."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from models.losses import anneal
from models.objectives.base import Objective, RegularizerInputs


def annealed_vae_regularizer(
    inputs: RegularizerInputs, gamma: float, iteration_threshold: int
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """γ·|KL - C(step)|, C = min(c_max, c_max·step/iteration_threshold), c_max being the strength."""
    capacity = anneal(inputs.strength, inputs.step, iteration_threshold)
    return gamma * jnp.abs(inputs.kl - capacity), {}


@dataclass(frozen=True)
class AnnealedVAEHyperparameters:
    """disentanglement_lib's fixed values: γ = 1000, capacity reaching c_max after 100,000 updates."""

    gamma: float = 1000.0
    iteration_threshold: int = 100_000


ANNEALED_VAE = Objective.of_study(
    "annealed_vae", annealed_vae_regularizer, hyperparameters=AnnealedVAEHyperparameters()
)
