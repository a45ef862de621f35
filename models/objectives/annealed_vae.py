"""AnnealedVAE (Burgess et al. 2018, Eq. 8): γ·|KL - C| with a capacity C annealed linearly to c_max."""

from __future__ import annotations

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


ANNEALED_VAE = Objective(
    "annealed_vae",
    "c_max",
    (5.0, 10.0, 25.0, 50.0, 75.0, 100.0),
    annealed_vae_regularizer,
    fixed_params={"gamma": 1000.0, "iteration_threshold": 100_000},
)
