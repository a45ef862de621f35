"""The study's vocabulary, once: its data sets, objectives with their swept strength, seeds, steps and
disentanglement_lib's `model_num` (Locatello et al. 2019; disentanglement_lib
`config/unsupervised_study_v1/sweep.py`).

Every package imports its names from here, and this module imports nothing of ours. The order of `DATASETS`
and `OBJECTIVES` is disentanglement_lib's: it defines `model_num` and the order of every table.
"""

from __future__ import annotations

from dataclasses import dataclass

DATASETS = (
    "dsprites",
    "color_dsprites",
    "noisy_dsprites",
    "scream_dsprites",
    "smallnorb",
    "cars3d",
    "shapes3d",
)
SEEDS = 50  # seeds 0..49 of every (data set, objective, strength)
STEPS = 300_000  # training steps of every run (disentanglement_lib's global steps)
STRENGTHS_PER_OBJECTIVE = 6


@dataclass(frozen=True)
class StudyObjective:
    """One objective of the study: its name, the name of its swept hyperparameter and the six values swept."""

    name: str
    strength_name: str
    strengths: tuple[float, ...]


OBJECTIVES = (
    StudyObjective("beta_vae", "beta", (1.0, 2.0, 4.0, 6.0, 8.0, 16.0)),
    StudyObjective("factor_vae", "gamma", (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)),
    StudyObjective("dip_vae_i", "lambda_od", (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)),
    StudyObjective("dip_vae_ii", "lambda_od", (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)),
    StudyObjective("beta_tc_vae", "beta", (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)),
    StudyObjective("annealed_vae", "c_max", (5.0, 10.0, 25.0, 50.0, 75.0, 100.0)),
)
OBJECTIVE_NAMES = tuple(o.name for o in OBJECTIVES)
RUNS = len(DATASETS) * len(OBJECTIVES) * STRENGTHS_PER_OBJECTIVE * SEEDS  # 12,600


def study_objective(name: str) -> StudyObjective:
    """The study's entry for objective `name` (KeyError naming the known ones otherwise)."""
    for objective in OBJECTIVES:
        if objective.name == name:
            return objective
    raise KeyError(f"{name!r} is not an objective of the study; known: {list(OBJECTIVE_NAMES)}")


def model_num(dataset: str, objective: str, strength: float, seed: int) -> int | None:
    """disentanglement_lib's model_num of a run of the study, or None for a run outside it:
    dataset_index * 1800 + (objective_index * 6 + strength_index) * 50 + seed."""
    if dataset not in DATASETS or objective not in OBJECTIVE_NAMES or not 0 <= seed < SEEDS:
        return None
    strengths = study_objective(objective).strengths
    if strength not in strengths:
        return None
    per_objective = STRENGTHS_PER_OBJECTIVE * SEEDS
    return (
        DATASETS.index(dataset) * len(OBJECTIVES) * per_objective
        + (OBJECTIVE_NAMES.index(objective) * STRENGTHS_PER_OBJECTIVE + strengths.index(strength)) * SEEDS
        + seed
    )
