"""Each objective's regularizer on inputs with known answers, and the study's strength grids."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from models import OBJECTIVES
from models.objectives import RegularizerInputs
from models.objectives.factor_vae import discriminator_loss, shuffle_codes

B, D = 8, 10


def _inputs(strength, *, kl=2.0, step=0, z_mean=None, z_logvar=None, z_sampled=None, logits=None):
    zeros = jnp.zeros((B, D))
    return RegularizerInputs(
        kl=jnp.float32(kl),
        z_mean=zeros if z_mean is None else z_mean,
        z_logvar=zeros if z_logvar is None else z_logvar,
        z_sampled=zeros if z_sampled is None else z_sampled,
        step=jnp.int32(step),
        strength=jnp.float32(strength),
        dataset_size=1000,
        discriminator_logits=logits,
    )


def _unit_covariance_means():
    """Means [16, D] with zero mean and identity covariance (orthogonal ±1 columns of a Hadamard matrix)."""
    h = np.array([[1.0]])
    for _ in range(4):
        h = np.block([[h, h], [h, -h]])
    return jnp.asarray(h[:, 1 : D + 1], jnp.float32)


def test_objective_registry_and_study_grids():
    assert list(OBJECTIVES) == [
        "beta_vae",
        "annealed_vae",
        "factor_vae",
        "beta_tc_vae",
        "dip_vae_i",
        "dip_vae_ii",
    ]
    grids = {name: (o.strength_name, o.study_strengths) for name, o in OBJECTIVES.items()}
    assert grids["beta_vae"] == ("beta", (1, 2, 4, 6, 8, 16))
    assert grids["annealed_vae"] == ("c_max", (5, 10, 25, 50, 75, 100))
    assert grids["factor_vae"] == ("gamma", (10, 20, 30, 40, 50, 100))
    assert grids["beta_tc_vae"] == ("beta", (1, 2, 4, 6, 8, 10))
    assert grids["dip_vae_i"] == grids["dip_vae_ii"] == ("lambda_od", (1, 2, 5, 10, 20, 50))
    assert [o.name for o in OBJECTIVES.values() if o.uses_discriminator] == ["factor_vae"]


def test_beta_vae_scales_kl():
    regularizer, extra = OBJECTIVES["beta_vae"].regularize(_inputs(4.0, kl=2.5))
    assert float(regularizer) == pytest.approx(10.0) and extra == {}


@pytest.mark.parametrize(
    ("step", "expected"), [(0, 1000 * 3.0), (50_000, 1000 * 47.0), (200_000, 1000 * 97.0)]
)
def test_annealed_vae_penalises_distance_to_capacity(step, expected):
    regularizer, _ = OBJECTIVES["annealed_vae"].regularize(_inputs(100.0, kl=3.0, step=step))
    assert float(regularizer) == pytest.approx(expected)


def test_fixed_hyperparameters_can_be_changed_and_say_so():
    study = OBJECTIVES["annealed_vae"]
    halved = study.with_hyperparameters({"gamma": 500.0, "iteration_threshold": 50_000})
    regularizer, _ = halved.regularize(_inputs(100.0, kl=3.0, step=25_000))
    assert float(regularizer) == pytest.approx(500 * 47.0)
    assert halved.changed_hyperparameters() == {"gamma": 500.0, "iteration_threshold": 50_000}
    assert study.changed_hyperparameters() == {} and study.hyperparameters.gamma == 1000.0
    with pytest.raises(TypeError):
        study.with_hyperparameters({"gama": 1.0})
    with pytest.raises(ValueError, match="takes AnnealedVAEHyperparameters"):
        study.with_hyperparameters(OBJECTIVES["dip_vae_i"].hyperparameters)


def test_factor_vae_adds_gamma_times_logit_difference():
    logits = jnp.stack([jnp.arange(B, dtype=jnp.float32), jnp.zeros(B)], axis=1)  # mean(l0 - l1) = 3.5
    regularizer, extra = OBJECTIVES["factor_vae"].regularize(_inputs(10.0, kl=1.0, logits=logits))
    assert float(extra["tc"]) == pytest.approx(3.5)
    assert float(regularizer) == pytest.approx(1.0 + 35.0)


def test_factor_vae_discriminator_loss_and_shuffle():
    assert float(discriminator_loss(jnp.zeros((B, 2)), jnp.zeros((B, 2)))) == pytest.approx(math.log(2.0))
    confident = jnp.tile(jnp.asarray([[10.0, -10.0]]), (B, 1))
    assert float(discriminator_loss(confident, -confident)) == pytest.approx(0.0, abs=1e-6)
    z = jnp.arange(64 * 3, dtype=jnp.float32).reshape(64, 3)
    shuffled = np.asarray(shuffle_codes(jax.random.PRNGKey(0), z))
    for column in range(3):  # each dimension is a permutation of its own column, permuted independently
        assert sorted(shuffled[:, column]) == sorted(np.asarray(z[:, column]))
    rows = [np.argsort(np.argsort(shuffled[:, c])) for c in range(3)]
    assert not np.array_equal(rows[0], rows[1]) and not np.array_equal(shuffled, z)


def test_beta_tc_vae_uses_raw_tc_and_logs_normalised_tc():
    z = jax.random.normal(jax.random.PRNGKey(0), (B, D))
    regularizer, extra = OBJECTIVES["beta_tc_vae"].regularize(_inputs(6.0, kl=1.0, z_sampled=z))
    raw = -(D - 1) * math.log(B)  # identical posteriors: the raw estimate is exactly -(d - 1)·log B
    assert float(extra["tc"]) == pytest.approx(raw, rel=1e-5)
    assert float(regularizer) == pytest.approx(1.0 + 5.0 * raw, rel=1e-5)
    assert float(extra["tc_normalized"]) == pytest.approx(raw + (D - 1) * math.log(B * 1000), rel=1e-5)


def test_dip_vae_i_penalty_on_mean_covariance_with_lambda_d_ten_times_lambda_od():
    regularizer, _ = OBJECTIVES["dip_vae_i"].regularize(_inputs(2.0, kl=1.0))  # Cov = 0: diagonal term only
    assert float(regularizer) == pytest.approx(1.0 + 20.0 * D)
    regularizer, _ = OBJECTIVES["dip_vae_i"].regularize(_inputs(2.0, kl=1.0, z_mean=_unit_covariance_means()))
    assert float(regularizer) == pytest.approx(1.0, abs=1e-5)


def test_dip_vae_ii_adds_mean_encoder_variance_with_equal_lambdas():
    regularizer, _ = OBJECTIVES["dip_vae_ii"].regularize(_inputs(2.0, kl=1.0))  # Cov = 0 + E[diag e^0] = I
    assert float(regularizer) == pytest.approx(1.0, abs=1e-6)
    log_var = jnp.full((B, D), math.log(3.0))  # Cov = 3I: diagonal (3 - 1)² per dimension
    regularizer, _ = OBJECTIVES["dip_vae_ii"].regularize(_inputs(2.0, kl=1.0, z_logvar=log_var))
    assert float(regularizer) == pytest.approx(1.0 + 2.0 * 4.0 * D, rel=1e-5)
