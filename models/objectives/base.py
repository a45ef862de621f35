"""What an objective is: a named regularizer on top of the shared VAE core, with the study's strength grid."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import jax


class RegularizerInputs(NamedTuple):
    """Everything one training step offers a regularizer; all arrays are for one replica."""

    kl: jax.Array  # scalar, batch-mean KL to the prior
    z_mean: jax.Array  # [B, d]
    z_logvar: jax.Array  # [B, d]
    z_sampled: jax.Array  # [B, d]
    step: jax.Array  # int32 scalar: updates made before this one
    strength: jax.Array  # float32 scalar: the swept hyperparameter
    dataset_size: int  # number of images in the training set (static)
    discriminator_logits: jax.Array | None  # [B, 2] on z_sampled, FactorVAE only


Regularizer = Callable[..., tuple[jax.Array, dict[str, jax.Array]]]


@dataclass(frozen=True)
class Objective:
    """One of the study's objectives.

    `regularizer(inputs, **fixed_params)` returns the regularizer added to the reconstruction loss and any
    extra log terms (e.g. `tc`). `strength_name` is the swept hyperparameter, `study_strengths` its six values
    in the paper, `fixed_params` the hyperparameters the study holds fixed.
    """

    name: str
    strength_name: str
    study_strengths: tuple[float, ...]
    regularizer: Regularizer
    fixed_params: Mapping[str, float] = field(default_factory=dict)
    uses_discriminator: bool = False

    def regularize(self, inputs: RegularizerInputs) -> tuple[jax.Array, dict[str, jax.Array]]:
        """The regularizer and extra log terms for one replica's step."""
        return self.regularizer(inputs, **self.fixed_params)
