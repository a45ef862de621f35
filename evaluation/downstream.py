"""Downstream classification (Locatello et al. 2019, Sec. 6): predict each factor from the codes with
cross-validated logistic regression or gradient-boosted trees trained on 10 / 100 / 1,000 / 10,000 points."""

from __future__ import annotations

import numpy as np

from evaluation._checks import train_test_pair
from evaluation.config import DownstreamConfig
from evaluation.estimators import estimator_record
from evaluation.fits import FitResult, FitTask
from evaluation.plan import MetricPlan, ReplicaJob, per_replica, split_results
from evaluation.sampling import GroundTruth, Represent, sample_codes


def score_names(cfg: DownstreamConfig, num_factors: int) -> tuple[str, ...]:
    """Score names of a downstream metric: per training size mean/min/per-factor accuracy; efficiency."""
    names = []
    for n in cfg.train_sizes:
        names += [f"{n}:mean_test_accuracy", f"{n}:min_test_accuracy", f"{n}:mean_train_accuracy"]
        names += [f"{n}:test_accuracy_factor_{k}" for k in range(num_factors)]
    return (*names, "sample_efficiency")


def scores_from_fits(cfg: DownstreamConfig, fits_per_size: list[list[FitResult]]) -> dict[str, float]:
    """Accuracy summaries per training size; efficiency = ratio of mean test accuracies at its two sizes."""
    scores: dict[str, float] = {}
    for n, fits in zip(cfg.train_sizes, fits_per_size, strict=True):
        test = [fit.test_score for fit in fits]
        scores[f"{n}:mean_test_accuracy"] = float(np.mean(test))
        scores[f"{n}:min_test_accuracy"] = float(np.min(test))
        scores[f"{n}:mean_train_accuracy"] = float(np.mean([fit.train_score for fit in fits]))
        for k, value in enumerate(test):
            scores[f"{n}:test_accuracy_factor_{k}"] = value
    low, high = cfg.efficiency_sizes
    scores["sample_efficiency"] = scores[f"{low}:mean_test_accuracy"] / scores[f"{high}:mean_test_accuracy"]
    return scores


def plan(
    data: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    cfg: DownstreamConfig,
    metric: str,
    estimator: str,
    seed: int,
    encode_batch_size: int,
) -> MetricPlan:
    """Per training size a fresh train and test sample (as disentanglement_lib); a fit per (size, factor)."""
    samples = []
    for n in cfg.train_sizes:
        train = sample_codes(data, represent, n, rng, encode_batch_size)
        samples.append((*train, *sample_codes(data, represent, cfg.num_test, rng, encode_batch_size)))
    num_factors = len(data.factor_sizes)

    def build(r: int) -> ReplicaJob:
        tasks = []
        for codes_tr, f_tr, codes_te, f_te in samples:
            x_tr, y_tr, x_te, y_te = train_test_pair(codes_tr[r], f_tr, codes_te[r], f_te)
            tasks += [
                FitTask(estimator, seed, x_tr, y_tr[:, k], x_te, y_te[:, k]) for k in range(num_factors)
            ]
        sizes = [num_factors] * len(samples)
        return ReplicaJob(tasks, lambda fits: scores_from_fits(cfg, split_results(fits, sizes)))

    params = {
        **{k: list(v) if isinstance(v, tuple) else v for k, v in vars(cfg).items()},
        **estimator_record(estimator, seed),
    }
    return MetricPlan(
        metric, score_names(cfg, num_factors), params, per_replica(samples[0][0].shape[0], build)
    )
