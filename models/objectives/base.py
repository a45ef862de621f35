"""What an objective is: a named regularizer on top of the shared VAE core, with its swept strength and the
hyperparameters the study holds fixed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax

from study import study_objective


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
class NoHyperparameters:
    """The hyperparameters of an objective whose only knob is its strength."""


@dataclass(frozen=True)
class Objective:
    """One objective.

    `regularizer(inputs, **hyperparameters' fields)` returns the regularizer added to the reconstruction
    loss and any extra log terms (e.g. `tc`). `strength_name` is the swept hyperparameter and
    `study_strengths` its values in the paper; `hyperparameters` is a frozen dataclass of the values the study
    holds fixed, which is also the schema Hydra checks `model.hyperparameters.*` overrides against.
    """

    name: str
    strength_name: str
    study_strengths: tuple[float, ...]
    regularizer: Regularizer
    hyperparameters: Any = NoHyperparameters()
    uses_discriminator: bool = False

    @classmethod
    def of_study(cls, name: str, regularizer: Regularizer, **options: Any) -> Objective:
        """An objective of the study, its strength name and values taken from the study's vocabulary."""
        entry = study_objective(name)
        return cls(name, entry.strength_name, entry.strengths, regularizer, **options)

    def regularize(self, inputs: RegularizerInputs) -> tuple[jax.Array, dict[str, jax.Array]]:
        """The regularizer and extra log terms for one replica's step."""
        return self.regularizer(inputs, **vars(self.hyperparameters))

    def with_hyperparameters(self, values: Mapping[str, Any] | Any) -> Objective:
        """This objective with other fixed hyperparameters: a mapping of changed fields, or an instance."""
        if isinstance(values, Mapping):
            values = dataclasses.replace(self.hyperparameters, **values)
        if type(values) is not type(self.hyperparameters):
            raise ValueError(f"{self.name} takes {type(self.hyperparameters).__name__}, got {values!r}")
        return dataclasses.replace(self, hyperparameters=values)

    def changed_hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters unlike the study's values: they enter the run_id, the defaults do not."""
        default = type(self.hyperparameters)()
        return {k: v for k, v in vars(self.hyperparameters).items() if getattr(default, k) != v}


@dataclass(frozen=True)
class ObjectiveConfig:
    """The `model` config group: which objective, the strength of a single run (`python -m sweep train`)
    and the hyperparameters the study holds fixed (the objective's dataclass; see sweep/config.py)."""

    name: str
    strength: float
    hyperparameters: Any = NoHyperparameters()
