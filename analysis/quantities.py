"""The quantities the report analyses, named by the store's (representation, metric, score) triples.

Score names follow docs/architecture.md ("Score names"). Every table and figure refers to a quantity by its
`label`, which is also its column name in the wide per-run frame (`analysis.load.per_run_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass

# The study's data sets and objectives, in disentanglement_lib's model_num order (used to sort and to say
# which parts of the full study a store lacks).
STUDY_DATASETS = (
    "dsprites",
    "color_dsprites",
    "noisy_dsprites",
    "scream_dsprites",
    "smallnorb",
    "cars3d",
    "shapes3d",
)
STUDY_OBJECTIVES = ("beta_vae", "factor_vae", "dip_vae_i", "dip_vae_ii", "beta_tc_vae", "annealed_vae")
DOWNSTREAM_SIZES = (10, 100, 1000, 10000)


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


def _downstream() -> tuple[Quantity, ...]:
    found = []
    for metric, short in (("downstream_lr", "LR"), ("downstream_gbt", "GBT")):
        found += [Quantity(f"{short} {n}", metric, f"{n}:mean_test_accuracy") for n in DOWNSTREAM_SIZES]
        found.append(Quantity(f"{short} efficiency", metric, "sample_efficiency"))
    return tuple(found)


DOWNSTREAM = _downstream()
GBT_EFFICIENCY = next(q for q in DOWNSTREAM if q.label == "GBT efficiency")
FACTOR_VAE = METRICS[1]
ALL_QUANTITIES = (*METRICS, *UNSUPERVISED, TC_MEAN, *DOWNSTREAM)
