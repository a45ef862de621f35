"""Downstream classification (Locatello et al. 2019, Sec. 6): predict each factor from the codes with
cross-validated logistic regression (`downstream_lr`) or gradient-boosted trees (`downstream_gbt`) trained on
10 / 100 / 1,000 / 10,000 points. Their shared settings, score names, and the two registered planners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import train_test_pair
from evaluation._fields import as_tuples, at_least_two
from evaluation.estimators import estimator_record, gbt_estimator_name
from evaluation.fits import FitResult, FitTask
from evaluation.plan import MetricPlan, ReplicaJob, per_replica, split_results
from evaluation.registry import Planner, register
from evaluation.sampling import GroundTruth, Represent, sample_codes

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


@dataclass(frozen=True)
class DownstreamConfig:
    """Downstream tasks: training sizes, test size, and the two sizes whose accuracy ratio is efficiency."""

    train_sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)
    num_test: int = 5_000
    efficiency_sizes: tuple[int, int] = (100, 10_000)

    def __post_init__(self) -> None:
        as_tuples(self, "train_sizes", "efficiency_sizes")
        at_least_two(self, "train_sizes", "num_test")
        if len(self.efficiency_sizes) != 2 or not set(self.efficiency_sizes) <= set(self.train_sizes):
            raise ValueError(
                f"efficiency_sizes {self.efficiency_sizes} must be two of train_sizes {self.train_sizes}."
            )


# Both downstream metrics read MetricsConfig.downstream, so both registrations use these sizes.
STUDY = DownstreamConfig(train_sizes=(10, 100, 1_000, 10_000), num_test=5_000, efficiency_sizes=(100, 10_000))
SMALL = DownstreamConfig(train_sizes=(10, 100, 300), num_test=250, efficiency_sizes=(100, 300))


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


def planner(estimator: Callable[[MetricsConfig], str]) -> Planner:
    """The planner of a downstream metric whose classifier is `estimator(config)` (a fits.py name)."""

    def plan(
        data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
    ) -> MetricPlan:
        """Per training size fresh train and test samples (as disentanglement_lib); a fit per size, factor."""
        cfg, batch, seed = config.downstream, config.encode_batch_size, config.estimator_seed
        name = estimator(config)
        samples = []
        for n in cfg.train_sizes:
            train = sample_codes(data, represent, n, rng, batch)
            samples.append((*train, *sample_codes(data, represent, cfg.num_test, rng, batch)))
        num_factors = len(data.factor_sizes)

        def build(r: int) -> ReplicaJob:
            tasks = []
            for codes_tr, f_tr, codes_te, f_te in samples:
                x_tr, y_tr, x_te, y_te = train_test_pair(codes_tr[r], f_tr, codes_te[r], f_te)
                tasks += [FitTask(name, seed, x_tr, y_tr[:, k], x_te, y_te[:, k]) for k in range(num_factors)]
            sizes = [num_factors] * len(samples)
            return ReplicaJob(tasks, lambda fits: scores_from_fits(cfg, split_results(fits, sizes)))

        params = {
            **{k: list(v) if isinstance(v, tuple) else v for k, v in vars(cfg).items()},
            **estimator_record(name, seed),
        }
        return MetricPlan(params, per_replica(samples[0][0].shape[0], build))

    return plan


def _register(metric: str, estimator: Callable[[MetricsConfig], str]) -> Planner:
    """Register a downstream metric: field `downstream`, sizes STUDY/SMALL, score names from `score_names`."""
    return register(
        metric, config=DownstreamConfig, field="downstream", study=STUDY, small=SMALL, scores=score_names
    )(planner(estimator))


plan_lr = _register("downstream_lr", lambda config: "logistic_cv")
plan_gbt = _register("downstream_gbt", lambda config: gbt_estimator_name(config.gbt_backend))
