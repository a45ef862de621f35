"""Loss terms against disentanglement_lib's own test values (methods/unsupervised/vae_test.py)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from models.losses import (
    anneal,
    bernoulli_reconstruction,
    covariance,
    dip_penalty,
    gaussian_kl,
    gaussian_log_density,
    total_correlation,
    total_correlation_normalized,
)


@pytest.mark.parametrize(
    ("mean", "log_var", "expected"),
    [
        (0.0, 0.0, 0.0),
        (1.0, 0.0, 5.0),
        (1.0, 1.0, 5.0 * (math.e - 1.0)),
    ],
)
def test_gaussian_kl_known_values(mean, log_var, expected):
    kl = gaussian_kl(jnp.full((4, 10), mean), jnp.full((4, 10), log_var))
    assert float(kl) == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize(("step", "expected"), [(0, 0.0), (10, 10.0), (100, 100.0), (101, 100.0)])
def test_anneal_capacity(step, expected):
    assert float(anneal(jnp.float32(100.0), jnp.int32(step), 100)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        (np.ones((10, 10)), 90.0),
        (np.zeros((10, 10)), 10.0),
        (np.eye(10), 0.0),
        (2 * np.eye(10), 10.0),
    ],
)
def test_dip_penalty_known_values(matrix, expected):
    assert float(dip_penalty(jnp.asarray(matrix, jnp.float32), 1.0, 1.0)) == pytest.approx(expected)


def test_dip_penalty_weights_diagonal_and_off_diagonal_separately():
    matrix = jnp.asarray(np.ones((10, 10)) + np.eye(10), jnp.float32)  # off-diagonal 1, diagonal 2
    assert float(dip_penalty(matrix, 3.0, 7.0)) == pytest.approx(3.0 * 90 + 7.0 * 10)


def test_covariance_matches_numpy_biased_estimate():
    x = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    np.testing.assert_allclose(covariance(jnp.asarray(x)), np.cov(x, rowvar=False, bias=True), atol=1e-5)


def test_gaussian_log_density_standard_normal_at_one():
    assert float(gaussian_log_density(jnp.float32(1.0), jnp.float32(0.0), jnp.float32(0.0))) == pytest.approx(
        -1.4189385, abs=1e-6
    )


@pytest.mark.parametrize(
    ("num_dim", "num_samples", "low", "high"),
    [
        (1, 10000, 0.0, 0.1),
        (10, 1000, -9 * math.log(1000) - 0.01, -9 * math.log(1000) + 0.01),
    ],
)
def test_total_correlation_of_identical_posteriors(num_dim, num_samples, low, high):
    # All posteriors equal: the unnormalised estimate is exactly -(d - 1)·log N (disentanglement_lib's test
    # uses N = 10000 for both; d = 10 is checked at N = 1000 to keep the [N, N, d] tensor small).
    z = jax.random.normal(jax.random.PRNGKey(0), (num_samples, num_dim))
    zeros = jnp.zeros((num_samples, num_dim))
    assert low <= float(total_correlation(z, zeros, zeros)) <= high


def test_total_correlation_normalized_adds_the_mws_constant():
    value = total_correlation_normalized(jnp.float32(-3.0), num_latents=10, batch_size=64, dataset_size=1000)
    assert float(value) == pytest.approx(-3.0 + 9 * math.log(64 * 1000), rel=1e-6)


def test_bernoulli_reconstruction_sums_cross_entropy_over_pixels():
    images = jnp.asarray([[[[1.0], [0.0]]], [[[0.5], [1.0]]]])  # [2, 1, 2, 1]
    logits = jnp.zeros_like(images)  # p = 0.5 everywhere: every pixel costs log 2
    np.testing.assert_allclose(bernoulli_reconstruction(images, logits), [2 * math.log(2)] * 2, rtol=1e-6)
    confident = bernoulli_reconstruction(jnp.ones((1, 3, 3, 1)), jnp.full((1, 3, 3, 1), 20.0))
    assert float(confident[0]) == pytest.approx(9 * math.log1p(math.exp(-20.0)), rel=1e-4)


def test_bernoulli_reconstruction_equals_the_log_sigmoid_form_with_its_gradient():
    key_x, key_l = jax.random.split(jax.random.PRNGKey(0))
    images = jax.random.uniform(key_x, (4, 8, 8, 3))
    logits = 6.0 * jax.random.normal(key_l, (4, 8, 8, 3))

    def log_sigmoid_form(lg):
        per_pixel = -images * jax.nn.log_sigmoid(lg) - (1.0 - images) * jax.nn.log_sigmoid(-lg)
        return per_pixel.reshape(4, -1).sum(axis=1)

    np.testing.assert_allclose(bernoulli_reconstruction(images, logits), log_sigmoid_form(logits), rtol=1e-6)
    got = jax.grad(lambda lg: bernoulli_reconstruction(images, lg).sum())(logits)
    np.testing.assert_allclose(got, jax.nn.sigmoid(logits) - images, atol=1e-6)


def test_bernoulli_reconstruction_sums_a_study_batch_at_float32_precision_whatever_the_context():
    key_x, key_l = jax.random.split(jax.random.PRNGKey(1))
    images = (jax.random.uniform(key_x, (64, 64, 64, 3)) < 0.3).astype(jnp.float32)
    logits = 4.0 * jax.random.normal(key_l, (64, 64, 64, 3))
    x, lg = np.asarray(images, np.float64), np.asarray(logits, np.float64)
    expected = (np.maximum(lg, 0) - lg * x + np.log1p(np.exp(-np.abs(lg)))).reshape(64, -1).sum(axis=1)
    np.testing.assert_allclose(jax.jit(bernoulli_reconstruction)(images, logits), expected, rtol=2e-6)
    # The sum is a dot: on a GPU, TF32 (the opt-in precision) would round it to ~1e-3 unless pinned.
    with jax.default_matmul_precision("tensorfloat32"):
        jaxpr = str(jax.make_jaxpr(bernoulli_reconstruction)(images, logits))
    assert "dot_general" in jaxpr and "Precision.HIGHEST" in jaxpr
