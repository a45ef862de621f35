"""Sampling metrics and `evaluate` over replica-batched representations, on a factorial toy data set."""

import dataclasses
import math

import numpy as np
import pytest

from evaluation import MetricsConfig, ScoreRecord, evaluate
from evaluation.config import BetaVAEConfig, FactorVAEConfig, SampleConfig
from evaluation.theorem1 import latent_representation, uniform_entangling_map

TINY = dataclasses.replace(
    MetricsConfig.small(),
    n_jobs=1,
    beta_vae_score=BetaVAEConfig(batch_size=16, num_train=200, num_eval=100),
    factor_vae_score=FactorVAEConfig(batch_size=16, num_train=200, num_eval=100, num_variance_estimate=500),
)
ARCHITECTURE_SCORES = {  # docs/architecture.md, "Score names"
    "beta_vae_score": {"train_accuracy", "eval_accuracy"},
    "factor_vae_score": {"train_accuracy", "eval_accuracy", "num_active_dims"},
    "mig": {"discrete_mig"},
    "dci": {"disentanglement", "completeness", "informativeness_train", "informativeness_test"},
    "modularity_explicitness": {"modularity_score", "explicitness_score_train", "explicitness_score_test"},
    "sap_score": {"SAP_score"},
    "unsupervised": {
        "gaussian_total_correlation",
        "gaussian_wasserstein_correlation",
        "gaussian_wasserstein_correlation_norm",
        "mutual_info_score",
    },
}


def by_name(records):
    return {(r.metric, r.score): r for r in records}


def identity(z):
    return z


def test_sampling_metrics_known_answers(small_data):
    config = dataclasses.replace(TINY, metrics=("beta_vae_score", "factor_vae_score"))
    entangle = uniform_entangling_map(3)
    rows = evaluate(small_data, latent_representation([identity, entangle, lambda z: 0 * z]), config, seed=0)
    z_scores, f_scores, zero_scores = (by_name(r) for r in rows)
    for metric in ("beta_vae_score", "factor_vae_score"):
        assert z_scores[metric, "eval_accuracy"].value >= 0.95
        assert f_scores[metric, "eval_accuracy"].value < z_scores[metric, "eval_accuracy"].value - 0.2
    assert z_scores["factor_vae_score", "num_active_dims"].value == 3
    # Zero codes: every dimension is pruned (std 0 < 0.05) and FactorVAE scores 0; BetaVAE features are all 0.
    assert zero_scores["factor_vae_score", "eval_accuracy"].value == 0.0
    assert zero_scores["factor_vae_score", "num_active_dims"].value == 0
    assert zero_scores["beta_vae_score", "eval_accuracy"].value <= 0.5


def test_every_metric_emits_the_architecture_score_names(small_data):
    rows = evaluate(small_data, latent_representation([identity]), TINY, seed=0)
    assert len(rows) == 1
    names = {}
    for record in rows[0]:
        assert isinstance(record, ScoreRecord) and math.isfinite(record.value)
        names.setdefault(record.metric, set()).add(record.score)
    for metric, scores in ARCHITECTURE_SCORES.items():
        assert names[metric] == scores
    for metric in ("downstream_lr", "downstream_gbt"):
        expected = {"sample_efficiency"} | {
            f"{n}:{s}"
            for n in (10, 100, 300)
            for s in (
                "mean_test_accuracy",
                "min_test_accuracy",
                "mean_train_accuracy",
                "test_accuracy_factor_0",
                "test_accuracy_factor_1",
                "test_accuracy_factor_2",
            )
        }
        assert names[metric] == expected
    scores = by_name(rows[0])
    assert scores["dci", "disentanglement"].params["backend"] == "sklearn"
    assert scores["dci", "disentanglement"].params["estimator_params"]["n_estimators"] == 100
    assert scores["downstream_lr", "sample_efficiency"].params["estimator"] == "logistic_cv"
    assert "sklearn_version" in scores["sap_score", "SAP_score"].params
    low, high = (scores["downstream_gbt", f"{n}:mean_test_accuracy"].value for n in (100, 300))
    assert scores["downstream_gbt", "sample_efficiency"].value == pytest.approx(low / high)


FAST = dataclasses.replace(
    TINY,
    metrics=("mig", "unsupervised", "factor_vae_score"),
    mig=SampleConfig(num_train=400),
    unsupervised=SampleConfig(num_train=400),
)


def test_same_samples_for_every_model_and_replica_independence(small_data):
    entangle = uniform_entangling_map(3)
    alone = evaluate(small_data, latent_representation([entangle]), FAST, seed=0)[0]
    batched = evaluate(small_data, latent_representation([identity, entangle]), FAST, seed=7)[1]
    assert [r.value for r in alone] == [r.value for r in batched]  # sample_seed=0 wins over the run seed


def test_sample_seed_none_uses_the_run_seed(small_data):
    config = dataclasses.replace(FAST, sample_seed=None)
    represent = latent_representation([identity])
    first, again, other = (evaluate(small_data, represent, config, seed=s)[0] for s in (1, 1, 2))
    assert [r.value for r in first] == [r.value for r in again]
    assert [r.value for r in first] != [r.value for r in other]
    assert first[0].params["sample_seed"] == 1


def test_a_diverged_replica_gets_nan_rows_with_the_error(small_data):
    rows = evaluate(small_data, latent_representation([identity, lambda z: z * np.nan]), FAST, seed=0)
    assert all(math.isfinite(r.value) for r in rows[0])
    assert len(rows[1]) == len(rows[0])
    assert all(math.isnan(r.value) and "NaN/inf" in r.params["error"] for r in rows[1])


def test_lightgbm_backend_is_recorded(small_data):
    config = dataclasses.replace(TINY, metrics=("dci",), gbt_backend="lightgbm")
    record = evaluate(small_data, latent_representation([identity]), config, seed=0)[0][0]
    assert record.params["backend"] == "lightgbm" and record.params["estimator"] == "gbt_lightgbm"
    assert "lightgbm_version" in record.params
    assert record.value >= 0.9  # identity codes are disentangled


def test_worker_pool_gives_the_sequential_results(small_data):
    config = dataclasses.replace(TINY, metrics=("sap_score", "modularity_explicitness"))
    represent = latent_representation([identity])
    sequential = evaluate(small_data, represent, config, seed=0)[0]
    pooled = evaluate(small_data, represent, dataclasses.replace(config, n_jobs=2), seed=0)[0]
    assert [r.value for r in pooled] == [r.value for r in sequential]


def test_represent_with_wrong_shape_is_rejected(small_data):
    with pytest.raises(ValueError, match=r"shape \[replicas, "):
        evaluate(small_data, lambda obs: obs.reshape(obs.shape[0], -1), FAST, seed=0)
