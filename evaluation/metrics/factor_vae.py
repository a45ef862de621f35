"""FactorVAE score (Kim & Mnih, ICML 2018): in batches with one factor fixed, the code dimension of least
normalized variance votes for that factor; a majority-vote classifier's accuracy is the score. Its settings,
its votes and its planner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evaluation._checks import require_finite
from evaluation._fields import at_least_two
from evaluation.plan import MetricPlan, ReplicaJob, no_fits, per_replica
from evaluation.registry import register
from evaluation.sampling import GroundTruth, Represent, encode_groups, fixed_factor_batches, sample_codes

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig


@dataclass(frozen=True)
class FactorVAEConfig:
    """FactorVAE score: batches per vote, votes, points for the global variances, pruning threshold on std."""

    batch_size: int = 64
    num_train: int = 10_000
    num_eval: int = 5_000
    num_variance_estimate: int = 10_000
    prune_threshold: float = 0.05

    def __post_init__(self) -> None:
        at_least_two(self, "batch_size", "num_train", "num_eval", "num_variance_estimate")


def local_variances(
    data: GroundTruth,
    represent: Represent,
    num_points: int,
    cfg: FactorVAEConfig,
    rng: np.random.Generator,
    encode_batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Code variances [R, P, d] (ddof 1) within P batches, batch p with factor k_p fixed; and k [P]."""
    index, batches = fixed_factor_batches(data, num_points, cfg.batch_size, rng)
    points = np.arange(num_points)
    batches[points, :, index] = batches[points, :1, index]

    def variance(codes: np.ndarray) -> np.ndarray:  # [R, p, B, d] -> [R, p, d]
        return np.var(codes, axis=2, ddof=1)

    return encode_groups(data, represent, batches, rng, encode_batch_size, variance), index


def votes(
    local_var: np.ndarray, index: np.ndarray, global_var: np.ndarray, active: np.ndarray, num_factors: int
) -> np.ndarray:
    """Vote counts [K, d]: a batch's fixed factor votes for the active dim of least local/global variance."""
    active_dims = np.flatnonzero(active)
    winner = active_dims[np.argmin(local_var[:, active_dims] / global_var[active_dims], axis=1)]
    counts = np.zeros((num_factors, local_var.shape[-1]), dtype=np.int64)
    np.add.at(counts, (index, winner), 1)
    return counts


def scores_from_votes(train_votes: np.ndarray, eval_votes: np.ndarray, num_active: int) -> dict[str, float]:
    """Majority-vote classifier (each dimension predicts its most voted factor) and its accuracies."""
    classifier = np.argmax(train_votes, axis=0)
    dims = np.arange(train_votes.shape[1])
    return {
        "train_accuracy": float(train_votes[classifier, dims].sum() / train_votes.sum()),
        "eval_accuracy": float(eval_votes[classifier, dims].sum() / eval_votes.sum()),
        "num_active_dims": float(num_active),
    }


def replica_scores(
    global_codes: np.ndarray,
    train: tuple[np.ndarray, np.ndarray],  # (local variances [P, d], fixed factor [P])
    evaluation: tuple[np.ndarray, np.ndarray],
    num_factors: int,
    threshold: float,
) -> dict[str, float]:
    """FactorVAE scores of one replica; all dims pruned (std < threshold) scores 0, as disentanglement_lib."""
    for values, name in (
        (global_codes, "codes"),
        (train[0], "train batch variances"),
        (evaluation[0], "eval batch variances"),
    ):
        require_finite(values, name)
    global_var = np.var(global_codes, axis=0, ddof=1)
    active = np.sqrt(global_var) >= threshold
    if not active.any():
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0.0}
    train_votes = votes(*train, global_var, active, num_factors)
    eval_votes = votes(*evaluation, global_var, active, num_factors)
    return scores_from_votes(train_votes, eval_votes, int(active.sum()))


@register(
    "factor_vae_score",
    config=FactorVAEConfig,
    study=FactorVAEConfig(
        batch_size=64, num_train=10_000, num_eval=5_000, num_variance_estimate=10_000, prune_threshold=0.05
    ),
    small=FactorVAEConfig(batch_size=16, num_train=300, num_eval=150, num_variance_estimate=500),
    scores=("train_accuracy", "eval_accuracy", "num_active_dims"),
)
def plan(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Sample the variance, train and eval batches once for all replicas and score each replica."""
    cfg, batch = config.factor_vae_score, config.encode_batch_size
    global_codes, _ = sample_codes(data, represent, cfg.num_variance_estimate, rng, batch)
    train_var, train_index = local_variances(data, represent, cfg.num_train, cfg, rng, batch)
    eval_var, eval_index = local_variances(data, represent, cfg.num_eval, cfg, rng, batch)
    num_factors = len(data.factor_sizes)

    def build(r: int) -> ReplicaJob:
        return no_fits(
            lambda: replica_scores(
                global_codes[r],
                (train_var[r], train_index),
                (eval_var[r], eval_index),
                num_factors,
                cfg.prune_threshold,
            )
        )

    return MetricPlan(dict(vars(cfg)), per_replica(global_codes.shape[0], build))
