"""Our kernels against disentanglement_lib 1.5's code on identical arrays (same sklearn): equal to 1e-6."""

import functools
import types

import dlib_oracle
import numpy as np
import pytest
from evaluation_toys import UNEVEN_SIZES
from sklearn import ensemble

from evaluation import kernels
from evaluation.estimators import make_estimator
from evaluation.fits import FitTask, run_fit

pytestmark = pytest.mark.oracle
DL = dlib_oracle.load()
if DL is None:
    pytest.skip("disentanglement_lib 1.5 is not installed (pip install '.[oracle]')", allow_module_level=True)


def mixed_codes(factors, seed, d=7):
    """float32 codes [N, d]: noisy copies of the K factors, a noisy mixture of all, then pure noise."""
    rng = np.random.default_rng(seed)
    k = factors.shape[1]
    scaled = factors / np.max(factors, axis=0)
    codes = rng.normal(scale=0.3, size=(factors.shape[0], d))
    codes[:, :k] += scaled
    codes[:, k] += scaled.sum(axis=1)
    return codes.astype(np.float32)


def sample(sizes, n, seed):
    """(mixed codes, factors) for independent uniform factors of the given sizes."""
    rng = np.random.default_rng(seed)
    factors = np.column_stack([rng.integers(s, size=n) for s in sizes])
    return mixed_codes(factors, seed), factors


@pytest.fixture(scope="module")
def uneven():
    return sample(UNEVEN_SIZES, 3000, seed=0)


@pytest.fixture
def seeded_dl_gbt(monkeypatch):
    """disentanglement_lib builds GradientBoostingClassifier() with random_state=None; give it our seed 0."""
    seeded = functools.partial(ensemble.GradientBoostingClassifier, random_state=0)
    monkeypatch.setattr(DL.dci, "ensemble", types.SimpleNamespace(GradientBoostingClassifier=seeded))


def test_histogram_discretize(uneven):
    codes, _ = uneven
    np.testing.assert_array_equal(
        kernels.histogram_discretize(codes, 20), DL.utils._histogram_discretize(codes.T, 20).T
    )


def test_mig(uneven):
    codes, factors = uneven
    expected = DL.mig._compute_mig(codes.T, factors.T)["discrete_mig"]
    assert kernels.mig(codes, factors) == pytest.approx(expected, abs=1e-6)


def test_modularity(uneven):
    codes, factors = uneven
    mi = DL.utils.discrete_mutual_info(DL.utils._histogram_discretize(codes.T, 20), factors.T)
    assert kernels.modularity(codes, factors) == pytest.approx(
        DL.modularity_explicitness.modularity(mi), abs=1e-6
    )


def test_explicitness(uneven):
    codes, factors = uneven
    tr, te = slice(0, 2000), slice(2000, None)
    ours = kernels.explicitness(codes[tr], factors[tr], codes[te], factors[te])
    norm_tr, mean, std = DL.utils.normalize_data(codes[tr].T)
    norm_te, _, _ = DL.utils.normalize_data(codes[te].T, mean, std)
    expected = np.array(
        [
            DL.modularity_explicitness.explicitness_per_factor(
                norm_tr, factors[tr, k], norm_te, factors[te, k]
            )
            for k in range(factors.shape[1])
        ]
    ).mean(axis=0)
    assert ours["explicitness_score_train"] == pytest.approx(expected[0], abs=1e-6)
    assert ours["explicitness_score_test"] == pytest.approx(expected[1], abs=1e-6)


@pytest.mark.parametrize("continuous", [False, True])
def test_sap(uneven, continuous):
    codes, factors = uneven
    tr, te = slice(0, 2000), slice(2000, None)
    expected = DL.sap_score._compute_sap(codes[tr].T, factors[tr].T, codes[te].T, factors[te].T, continuous)
    ours = kernels.sap(codes[tr], factors[tr], codes[te], factors[te], continuous=continuous)
    assert ours == pytest.approx(expected["SAP_score"], abs=1e-6)


def test_unsupervised(uneven):
    codes, _ = uneven
    cov = np.cov(codes.T)
    um = DL.unsupervised_metrics
    assert kernels.gaussian_total_correlation(cov) == pytest.approx(
        um.gaussian_total_correlation(cov), abs=1e-6
    )
    assert kernels.gaussian_wasserstein_correlation(cov) == pytest.approx(
        um.gaussian_wasserstein_correlation(cov), abs=1e-6
    )
    binned = DL.utils._histogram_discretize(codes.T, 20)
    mi = DL.utils.discrete_mutual_info(binned, binned)
    np.fill_diagonal(mi, 0)
    expected = mi.sum() / (codes.shape[1] ** 2 - codes.shape[1])
    assert kernels.mutual_info_score(codes) == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(kernels.code_covariance(codes), cov, atol=1e-12)


def test_dci_sklearn_backend(seeded_dl_gbt):
    codes, factors = sample((3, 6, 5), 500, seed=1)
    tr, te = slice(0, 350), slice(350, None)
    expected = DL.dci._compute_dci(codes[tr].T, factors[tr].T, codes[te].T, factors[te].T)
    ours = kernels.dci(codes[tr], factors[tr], codes[te], factors[te])
    for key, value in expected.items():
        assert ours[key] == pytest.approx(value, abs=1e-6), key


@pytest.mark.parametrize(
    "matrix", [np.diag(5.0 * np.ones(5)), np.zeros((4, 3)), np.random.default_rng(2).random((6, 4))]
)
def test_dci_from_importance(matrix):
    assert kernels.disentanglement(matrix) == pytest.approx(DL.dci.disentanglement(matrix), abs=1e-12)
    assert kernels.completeness(matrix) == pytest.approx(DL.dci.completeness(matrix), abs=1e-12)


# disentanglement_lib's LogisticRegressionCV relies on defaults sklearn warns are changing; ours pins them.
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("logistic_cv", lambda: DL.utils.logistic_regression_cv()),
        ("gbt_sklearn", lambda: ensemble.GradientBoostingClassifier(random_state=0)),
    ],
)
def test_downstream_estimators_match(ours, theirs):
    codes, factors = sample((3, 6), 400, seed=3)
    x_tr, x_te, y_tr, y_te = codes[:300], codes[300:], factors[:300], factors[300:]
    expected = DL.downstream_task._compute_loss(x_tr, y_tr.T, x_te, y_te.T, theirs)
    fits = [run_fit(FitTask(ours, 0, x_tr, y_tr[:, k], x_te, y_te[:, k])) for k in range(factors.shape[1])]
    np.testing.assert_allclose([f.train_score for f in fits], expected[0], atol=1e-12)
    np.testing.assert_allclose([f.test_score for f in fits], expected[1], atol=1e-12)


def test_beta_vae_classifier_matches_default_logistic_regression():
    codes, factors = sample((5,), 600, seed=4)
    theirs = DL.beta_vae.linear_model.LogisticRegression(random_state=np.random.RandomState(0))
    theirs.fit(codes, factors[:, 0])
    ours = make_estimator("logistic", 0).fit(codes, factors[:, 0])
    np.testing.assert_allclose(ours.predict_proba(codes), theirs.predict_proba(codes), atol=1e-9)


def test_unsupervised_with_a_constant_code_dimension():
    codes = mixed_codes(np.zeros((400, 2), dtype=int) + np.arange(400)[:, None] % 3, 3, d=5)
    codes[:, 2] = 0.0  # an exactly constant dimension: zero variance
    cov = np.cov(codes.T)
    um = DL.unsupervised_metrics
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_tc = um.gaussian_total_correlation(cov)
    assert np.isnan(expected_tc) and np.isnan(kernels.gaussian_total_correlation(cov))
    expected = um.gaussian_wasserstein_correlation(cov)
    assert np.isfinite(expected)
    assert kernels.gaussian_wasserstein_correlation(cov) == pytest.approx(expected, abs=1e-6)
