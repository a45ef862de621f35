"""BetaVAE score (Higgins et al., ICLR 2017): a linear classifier predicts which factor was held fixed between
two batches from the mean absolute difference of their codes; disentanglement_lib's sklearn variant."""

from __future__ import annotations

import numpy as np

from evaluation._checks import as_codes
from evaluation.config import BetaVAEConfig
from evaluation.estimators import estimator_record
from evaluation.fits import FitTask
from evaluation.plan import MetricPlan, ReplicaJob, per_replica
from evaluation.sampling import GroundTruth, Represent, encode_groups, fixed_factor_batches

SCORES = ("train_accuracy", "eval_accuracy")


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


def plan(
    data: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    cfg: BetaVAEConfig,
    encode_batch_size: int,
    seed: int,
) -> MetricPlan:
    """Sample train and eval features once for all replicas; one logistic regression per replica."""
    x_train, y_train = difference_features(data, represent, cfg.num_train, cfg, rng, encode_batch_size)
    x_eval, y_eval = difference_features(data, represent, cfg.num_eval, cfg, rng, encode_batch_size)

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
    return MetricPlan("beta_vae_score", SCORES, params, per_replica(x_train.shape[0], build))
