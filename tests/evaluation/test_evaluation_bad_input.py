"""Bad input gets a ValueError naming the problem or the documented defined value, never a sklearn crash."""

import numpy as np
import pytest
from evaluation_toys import factorial_sample

from evaluation import kernels

Z, F = factorial_sample((3, 4, 5), 400, seed=0)
SPLIT = (Z[:300], F[:300], Z[300:], F[300:])


def with_nan(codes):
    codes = codes.copy()
    codes[5, 1] = np.nan
    return codes


@pytest.mark.parametrize(
    "call",
    [
        lambda: kernels.mig(with_nan(Z), F),
        lambda: kernels.modularity(np.where(Z > 0.9, np.inf, Z), F),
        lambda: kernels.dci(with_nan(Z[:300]), F[:300], Z[300:], F[300:]),
        lambda: kernels.explicitness(Z[:300], F[:300], with_nan(Z[300:]), F[300:]),
        lambda: kernels.sap(with_nan(Z[:300]), F[:300], Z[300:], F[300:]),
        lambda: kernels.mutual_info_score(with_nan(Z)),
        lambda: kernels.code_covariance(with_nan(Z)),
    ],
)
def test_non_finite_codes_are_rejected(call):
    with pytest.raises(ValueError, match="NaN/inf"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: kernels.mig(Z, F[:-1]),
        lambda: kernels.modularity(Z[:10], F),
        lambda: kernels.dci(Z[:300], F[:299], Z[300:], F[300:]),
        lambda: kernels.sap(Z[:300], F[:300], Z[300:], F[301:]),
    ],
)
def test_mismatched_lengths_name_both_sizes(call):
    with pytest.raises(ValueError, match="points but the codes have"):
        call()


def test_mismatched_code_dimensions_between_splits():
    with pytest.raises(ValueError, match="code dimensions"):
        kernels.explicitness(Z[:300], F[:300], Z[300:, :2], F[300:])


def test_single_valued_factor_is_rejected():
    constant_factor = F.copy()
    constant_factor[:, 1] = 2
    for call in (
        lambda: kernels.mig(Z, constant_factor),
        lambda: kernels.modularity(Z, constant_factor),
        lambda: kernels.dci(Z[:300], constant_factor[:300], Z[300:], constant_factor[300:]),
    ):
        with pytest.raises(ValueError, match=r"column\(s\) \[1\] take a single value"):
            call()


def test_too_few_points():
    with pytest.raises(ValueError, match="at least 2 points"):
        kernels.mig(Z[:1], F[:1])
    with pytest.raises(ValueError, match="at least 2 points"):
        kernels.dci(Z[:1], F[:1], Z[1:5], F[1:5])
    with pytest.raises(ValueError, match="empty"):
        kernels.sap(Z[:0], F[:0], Z, F)


def test_too_few_code_dimensions():
    with pytest.raises(ValueError, match="at least 2 code dimensions"):
        kernels.mig(Z[:, :1], F)
    with pytest.raises(ValueError, match="at least 2 code dimensions"):
        kernels.sap(Z[:300, :1], F[:300], Z[300:, :1], F[300:], continuous=True)


def test_non_integer_factors_are_rejected():
    with pytest.raises(ValueError, match="integer class indices"):
        kernels.mig(Z, F + 0.5)


def test_constant_code_has_defined_scores():
    # A constant code carries no information: one histogram bin (MI 0), zero importance, centred to 0.
    codes = Z.copy()
    codes[:, 2] = 0.7
    assert 0.0 <= kernels.mig(codes, F) <= 1.0
    assert 0.0 <= kernels.modularity(codes, F) <= 1.0
    constant = np.full((300, 3), 0.7)
    scores = kernels.dci(constant, F[:300], constant[:100], F[300:])
    assert scores["disentanglement"] == pytest.approx(0.0, abs=1e-6)  # all-zero importance matrix
    explicit = kernels.explicitness(constant, F[:300], constant[:100], F[300:400])
    assert explicit["explicitness_score_test"] == pytest.approx(0.5)  # constant scores: chance-level AUC


def test_constant_code_gaussian_scores_are_disentanglement_libs():
    # As in disentanglement_lib: the Wasserstein correlation stays finite, the total correlation is NaN.
    codes = Z.copy()
    codes[:, 0] = 0.0
    cov = kernels.code_covariance(codes)
    assert cov[0, 0] == 0.0
    assert np.isnan(kernels.gaussian_total_correlation(cov))
    assert np.isfinite(kernels.gaussian_wasserstein_correlation(cov))
    scores = kernels.unsupervised_scores(np.zeros((50, 3)))
    assert scores["gaussian_wasserstein_correlation"] == 0.0
    assert np.isnan(scores["gaussian_wasserstein_correlation_norm"])  # 0 / 0, as numpy gives it
    with pytest.raises(ValueError, match="negative variance"):
        kernels.gaussian_wasserstein_correlation(-np.eye(2))


def test_a_nan_total_correlation_is_recorded_as_a_nan_score_row():
    import pyarrow.compute as pc

    from evaluation import ScoreRecord
    from results_schema import validate
    from sweep.grid import expand_grid
    from sweep.records import score_rows, to_tables

    spec = expand_grid(["grid.seeds=1", "grid.strengths={beta_vae:[1.0]}"])[1][0]
    scores = kernels.unsupervised_scores(np.zeros((50, 3)))
    records = [ScoreRecord("unsupervised", name, value, {}) for name, value in scores.items()]
    table = validate(to_tables({"scores": score_rows(spec, "mean", records, 0)})["scores"], "scores")
    values = dict(zip(table.column("score").to_pylist(), table.column("value").to_pylist(), strict=True))
    assert np.isnan(values["gaussian_total_correlation"])
    assert values["gaussian_wasserstein_correlation"] == 0.0
    assert pc.sum(pc.is_nan(table.column("value"))).as_py() == 2


def test_singular_covariance_has_infinite_total_correlation():
    assert kernels.gaussian_total_correlation(np.ones((2, 2))) == np.inf


def test_unknown_gbt_backend_is_an_error_not_a_fallback():
    with pytest.raises(ValueError, match="gbt_backend must be one of"):
        kernels.dci(*SPLIT, backend="xgboost")
