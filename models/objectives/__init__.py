"""The study's six objectives, by name."""

from models.objectives.annealed_vae import ANNEALED_VAE
from models.objectives.base import NoHyperparameters, Objective, ObjectiveConfig, RegularizerInputs
from models.objectives.beta_tc_vae import BETA_TC_VAE
from models.objectives.beta_vae import BETA_VAE
from models.objectives.dip_vae_i import DIP_VAE_I
from models.objectives.dip_vae_ii import DIP_VAE_II
from models.objectives.factor_vae import FACTOR_VAE

OBJECTIVES: dict[str, Objective] = {
    objective.name: objective
    for objective in (BETA_VAE, ANNEALED_VAE, FACTOR_VAE, BETA_TC_VAE, DIP_VAE_I, DIP_VAE_II)
}

__all__ = [
    "OBJECTIVES",
    "NoHyperparameters",
    "Objective",
    "ObjectiveConfig",
    "RegularizerInputs",
    "objective_named",
]


def objective_named(objective: str | Objective) -> Objective:
    """The objective itself, or the one of that name (ValueError naming the known ones)."""
    if isinstance(objective, Objective):
        return objective
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)}")
    return OBJECTIVES[objective]
