"""BetaVAE score (Higgins et al., ICLR 2017): a linear classifier predicts which factor was held fixed between
two batches from the mean absolute difference of their codes; disentanglement_lib's sklearn variant. Its
settings, its features and its planner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import as_codes
from evaluation._fields import at_least_two
from evaluation.estimators import estimator_record
from evaluation.fits import FitTask
from evaluation.plan import MetricPlan, ReplicaJob, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, encode_groups, fixed_factor_batches

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


@dataclass(frozen=True)
class BetaVAEConfig:
    """BetaVAE score: `batch_size` pairs per point, `num_train`/`num_eval` points."""

    batch_size: int = 64
    num_train: int = 10_000
    num_eval: int = 5_000

    def __post_init__(self) -> None:
        at_least_two(self, "batch_size", "num_train", "num_eval")


def difference_features(
    data: GroundTruth,
    represent: Represent,
    num_points: int,
    cfg: BetaVAEConfig,
    rng: np.random.Generator,
    encode_batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Features [R, P, d]: batch mean of |code(x1) - code(x2)|, x1 and x2 sharing factor k; labels k [P]."""
    index, first = fixed_factor_batches(data, num_points, cfg.batch_size, rng)
    _, second = fixed_factor_batches(data, num_points, cfg.batch_size, rng)
    points = np.arange(num_points)
    second[points, :, index] = first[points, :, index]
    b = cfg.batch_size

    def mean_abs_difference(codes: np.ndarray) -> np.ndarray:  # [R, p, 2B, d] -> [R, p, d]
        return np.mean(np.abs(codes[:, :, :b] - codes[:, :, b:]), axis=2)

    pairs = np.concatenate([first, second], axis=1)  # [P, 2B, K]
    return encode_groups(data, represent, pairs, rng, encode_batch_size, mean_abs_difference), index


@register(
    "beta_vae_score",
    config=BetaVAEConfig,
    study=BetaVAEConfig(batch_size=64, num_train=10_000, num_eval=5_000),
    small=BetaVAEConfig(batch_size=16, num_train=300, num_eval=150),
    scores=("train_accuracy", "eval_accuracy"),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Sample train and eval features once for all replicas; one logistic regression per replica."""
    cfg, batch, seed = config.beta_vae_score, config.encode_batch_size, config.estimator_seed
    x_train, y_train = difference_features(data, represent, cfg.num_train, cfg, rng, batch)
    x_eval, y_eval = difference_features(data, represent, cfg.num_eval, cfg, rng, batch)

    def build(r: int) -> ReplicaJob:
        task = FitTask(
            "logistic",
            seed,
            as_codes(x_train[r], "features"),
            y_train,
            as_codes(x_eval[r], "features"),
            y_eval,
        )
        return ReplicaJob(
            [task], lambda fits: {"train_accuracy": fits[0].train_score, "eval_accuracy": fits[0].test_score}
        )

    params = {**vars(cfg), **estimator_record("logistic", seed)}
    return MetricPlan(params, per_replica(x_train.shape[0], build))
