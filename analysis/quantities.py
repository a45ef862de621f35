"""The quantities the report analyses, named by the store's (representation, metric, score) triples.

Score names follow docs/architecture.md ("Score names"). Every table and figure refers to a quantity by its
`label`, which is also its column name in the wide per-run frame (`analysis.load.per_run_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass

import study

# The study's vocabulary (study/__init__.py), in disentanglement_lib's model_num order: used to sort and
# to say which parts of the full study a store lacks.
STUDY_DATASETS = study.DATASETS
STUDY_OBJECTIVES = study.OBJECTIVE_NAMES
DOWNSTREAM_SIZES = (10, 100, 1000, 10000)  # the study's downstream training-set sizes (the default)
STUDY_STEPS = study.STEPS
STUDY_SEEDS = study.SEEDS
MIN_SEEDS = 5  # fewer seeds per setting leave the seed's share and the rank correlations mostly noise
# The study's evaluation sizes (conf/metrics/study.yaml): metric -> {parameter: value}. A store whose score
# rows record smaller sizes gets a banner in the report.
STUDY_SIZES: dict[str, dict[str, int]] = {
    "beta_vae_score": {"batch_size": 64, "num_train": 10000, "num_eval": 5000},
    "factor_vae_score": {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
        "num_variance_estimate": 10000,
    },
    "mig": {"num_train": 10000},
    "dci": {"num_train": 10000, "num_test": 5000},
    "modularity_explicitness": {"num_train": 10000, "num_test": 5000},
    "sap_score": {"num_train": 10000, "num_test": 5000},
    "unsupervised": {"num_train": 10000},
    "downstream_lr": {"num_test": 5000},
    "downstream_gbt": {"num_test": 5000},
    "model": {"num_observations": 64000},
}


@dataclass(frozen=True)
class Quantity:
    """One score of a run: `label` for tables, and where the store keeps it."""

    label: str
    metric: str
    score: str
    representation: str = "mean"


METRICS = (
    Quantity("BetaVAE", "beta_vae_score", "eval_accuracy"),
    Quantity("FactorVAE", "factor_vae_score", "eval_accuracy"),
    Quantity("MIG", "mig", "discrete_mig"),
    Quantity("DCI Disentanglement", "dci", "disentanglement"),
    Quantity("Modularity", "modularity_explicitness", "modularity_score"),
    Quantity("SAP", "sap_score", "SAP_score"),
)

TC_SAMPLED = Quantity("TC (sampled)", "unsupervised", "gaussian_total_correlation", "sampled")
TC_MEAN = Quantity("TC (mean)", "unsupervised", "gaussian_total_correlation", "mean")

# Unsupervised scores a practitioner could select models by (paper Sec. 4.6).
UNSUPERVISED = (
    Quantity("Reconstruction", "model", "reconstruction_loss"),
    Quantity("KL", "model", "kl_loss"),
    Quantity("ELBO", "model", "elbo"),
    TC_SAMPLED,
)


DOWNSTREAM_METRICS = ("downstream_lr", "downstream_gbt")


def downstream_quantities(sizes: tuple[int, ...] = DOWNSTREAM_SIZES) -> tuple[Quantity, ...]:
    """LR and GBT test accuracy at each training-set size in `sizes`, and each one's sample efficiency."""
    found = []
    for metric, short in zip(DOWNSTREAM_METRICS, ("LR", "GBT"), strict=True):
        found += [Quantity(f"{short} {n}", metric, f"{n}:mean_test_accuracy") for n in sizes]
        found.append(Quantity(f"{short} efficiency", metric, "sample_efficiency"))
    return tuple(found)


DOWNSTREAM = downstream_quantities()  # at the study's sizes; a store's own sizes: StudyData.downstream
GBT_EFFICIENCY = next(q for q in DOWNSTREAM if q.label == "GBT efficiency")
FACTOR_VAE = METRICS[1]
ALL_QUANTITIES = (*METRICS, *UNSUPERVISED, TC_MEAN, *DOWNSTREAM)
