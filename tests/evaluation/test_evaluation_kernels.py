"""Known answers of the array kernels (disentanglement_lib's test suite and analytic cases)."""

import numpy as np
import pytest
from evaluation_toys import UNEVEN_SIZES, factorial_sample
from sklearn import metrics

from evaluation import kernels
from evaluation._discretize import mutual_info
from evaluation.estimators import fit_lightgbm_train_accuracy, make_estimator

LN2_LN10 = np.log(2) / np.log(10)
DIAG = np.diag(5.0 * np.ones(5))


def test_histogram_discretize_six_values_into_three_bins():
    codes = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])
    np.testing.assert_array_equal(kernels.histogram_discretize(codes, 3)[:, 0], [1, 1, 2, 2, 3, 3])


def test_histogram_discretize_constant_code_is_one_bin():
    assert np.unique(kernels.histogram_discretize(np.full((10, 1), 0.3), 20)).size == 1


@pytest.mark.parametrize(
    ("matrix", "d", "c"),
    [
        (DIAG, 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),  # an empty code
        (np.vstack([DIAG, DIAG]), 1.0, 1.0 - LN2_LN10),  # redundant codes
        (DIAG[:2, :], 1.0, 1.0),  # missed factors
        (np.hstack([DIAG, DIAG]), 1.0 - LN2_LN10, 1.0),  # one code for two factors
        (np.zeros((10, 10)), 0.0, 0.0),  # no importance at all
    ],
)
def test_dci_on_importance_matrices(matrix, d, c):
    assert kernels.disentanglement(matrix) == pytest.approx(d, abs=1e-7)
    assert kernels.completeness(matrix) == pytest.approx(c, abs=1e-7)


@pytest.mark.parametrize(
    ("mi", "expected"),
    [
        (DIAG, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2.0 / 3.0),  # a code with no information scores 0
        (np.zeros((10, 10)), 0.0),
        (np.vstack([DIAG, DIAG]), 1.0),
        (np.hstack([DIAG, DIAG]), 1.0 - 1.0 / 9.0),  # one code for two factors
    ],
)
def test_modularity_from_mutual_info(mi, expected):
    assert kernels.modularity_from_mutual_info(mi) == pytest.approx(expected)


def test_gaussian_total_correlation_known_value():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    assert kernels.gaussian_total_correlation(cov) == pytest.approx(-0.5 * np.log(1 - 0.81), abs=1e-12)
    assert kernels.gaussian_total_correlation(cov) == pytest.approx(0.830, abs=1e-3)
    assert kernels.gaussian_total_correlation(np.diag([1.0, 4.0])) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_wasserstein_correlation_known_values():
    assert kernels.gaussian_wasserstein_correlation(np.diag([2.0, 3.0])) == pytest.approx(0.0, abs=1e-9)
    # [[1, r], [r, 1]]: 2 tr - 2 tr sqrtm = 4 - 2 (sqrt(1 + r) + sqrt(1 - r)).
    r = 0.6
    expected = 4 - 2 * (np.sqrt(1 + r) + np.sqrt(1 - r))
    assert kernels.gaussian_wasserstein_correlation(np.array([[1, r], [r, 1]])) == pytest.approx(expected)


@pytest.fixture(scope="module")
def uneven():
    """dSprites-sized factors; codes = the latent z (train 1500, test 500)."""
    z, factors = factorial_sample(UNEVEN_SIZES, 2000, seed=0)
    return z[:1500], factors[:1500], z[1500:], factors[1500:]


def test_identity_codes_score_high_on_uneven_factors(uneven):
    z_tr, f_tr, z_te, f_te = uneven
    assert kernels.mig(z_tr, f_tr) >= 0.7  # binning 20 bins against 32/40 classes caps MIG below 1
    assert kernels.modularity(z_tr, f_tr) >= 0.9
    scores = kernels.dci(z_tr, f_tr, z_te, f_te, backend="lightgbm")
    assert scores["disentanglement"] >= 0.9 and scores["completeness"] >= 0.9
    assert kernels.explicitness(z_tr, f_tr, z_te, f_te)["explicitness_score_test"] >= 0.9
    assert kernels.sap(z_tr, f_tr, z_te, f_te, continuous=True) >= 0.9


def test_zero_codes_score_low(uneven):
    _, f_tr, _, f_te = uneven
    zeros_tr, zeros_te = np.zeros((f_tr.shape[0], 5)), np.zeros((f_te.shape[0], 5))
    assert kernels.mig(zeros_tr, f_tr) <= 0.2
    assert kernels.modularity(zeros_tr, f_tr) <= 0.2
    scores = kernels.dci(zeros_tr, f_tr, zeros_te, f_te, backend="lightgbm")
    assert scores["disentanglement"] <= 0.2 and scores["completeness"] <= 0.2
    assert kernels.sap(zeros_tr, f_tr, zeros_te, f_te, continuous=True) <= 0.2


def test_duplicated_codes(uneven):
    z_tr, f_tr, _, _ = uneven
    twice = np.hstack([z_tr, z_tr])
    assert kernels.mig(twice, f_tr) <= 0.1  # both copies carry the same MI: no gap
    assert kernels.modularity(twice, f_tr) >= 0.9


def test_duplicated_codes_dci_splits_importance_between_copies():
    # sklearn's trees visit features in random order, so tied copies share the importance: C = 1 - ln2/ln10.
    z, factors = factorial_sample((3, 4, 5), 800, seed=5)
    twice = np.hstack([z, z])
    scores = kernels.dci(twice[:600], factors[:600], twice[600:], factors[600:])
    assert scores["disentanglement"] >= 0.9
    assert scores["completeness"] == pytest.approx(1 - LN2_LN10, abs=0.1)


def test_permuted_codes_keep_the_scores(uneven):
    z_tr, f_tr, _, _ = uneven
    order = [3, 0, 4, 1, 2]
    assert kernels.mig(z_tr[:, order], f_tr) == pytest.approx(kernels.mig(z_tr, f_tr))
    assert kernels.modularity(z_tr[:, order], f_tr) == pytest.approx(kernels.modularity(z_tr, f_tr))


def test_rotated_codes_score_low(uneven):
    z_tr, f_tr, _, _ = uneven
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    rotated = (z_tr - 0.5) @ q
    assert kernels.mig(rotated, f_tr) <= 0.3 < kernels.mig(z_tr, f_tr)
    assert kernels.modularity(rotated, f_tr) < kernels.modularity(z_tr, f_tr) - 0.2


def test_mutual_info_score_independent_vs_copied_codes():
    z, _ = factorial_sample((4, 4), 5000, seed=2)
    independent = kernels.mutual_info_score(z)
    copied = kernels.mutual_info_score(np.hstack([z[:, :1], z[:, :1]]))
    assert independent < 0.05
    assert copied == pytest.approx(np.log(20), rel=0.01)  # two identical 20-bin codes: MI = H(bins) ~ ln 20


def test_sap_discrete_on_binary_factors():
    # Each binary factor is read perfectly from its own code (accuracy 1) and at chance (0.5) from the others.
    z, factors = factorial_sample((2, 2, 2), 1200, seed=3)
    z = z - 0.5  # liblinear regularizes the intercept too: centred codes let C=0.01 place the threshold
    identity = kernels.sap(z[:800], factors[:800], z[800:], factors[800:])
    assert identity == pytest.approx(0.5, abs=0.05)
    rotated = z @ np.linalg.qr(np.random.default_rng(4).normal(size=(3, 3)))[0]
    assert kernels.sap(rotated[:800], factors[:800], rotated[800:], factors[800:]) < identity - 0.15


def test_identity_codes_mig_near_one_when_bins_resolve_the_factors():
    z, factors = factorial_sample((2, 4, 5), 3000, seed=6)  # 20 bins nest in the 2, 4 and 5 factor cells
    assert kernels.mig(z, factors) >= 0.9


def test_mutual_info_equals_sklearn_mutual_info_score():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(2, 2000))
        a = rng.integers(0, rng.integers(1, 40), n)
        b = a * rng.integers(0, 3) + rng.integers(0, rng.integers(1, 25), n)
        assert mutual_info(a, b) == pytest.approx(metrics.mutual_info_score(a, b), abs=1e-12)


@pytest.mark.parametrize("num_classes", [2, 7])
def test_lightgbm_training_accuracy_equals_predicting_the_training_set(num_classes):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 4))
    noisy = x[:, 0] + rng.normal(scale=0.5, size=3000)
    y = np.clip((noisy * num_classes / 3 + num_classes / 2).astype(int), 0, num_classes - 1)
    model = make_estimator("gbt_lightgbm", seed=0)
    accuracy = fit_lightgbm_train_accuracy(model, x, y)
    assert 0.5 < accuracy < 1.0  # a real fit, neither trivial nor memorized
    assert accuracy == pytest.approx(np.mean(model.predict(x) == y), abs=1e-12)
