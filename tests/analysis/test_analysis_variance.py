"""Variance explained: planted shares come back within 0.05; group-mean R^2 equals the one-hot regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from analysis.load import load_study
from analysis.quantities import METRICS
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from analysis.variance import explained_share, variance_explained


@pytest.mark.parametrize(("objective_share", "strength_share"), [(0.5, 0.2), (0.1, 0.6)])
def test_planted_variance_shares_are_recovered(tmp_path, objective_share, strength_share):
    spec = SyntheticSpec(
        datasets=("dsprites",),
        seeds=50,
        objective_share=objective_share,
        strength_share=strength_share,
        curve_points=1,
        replicas_per_job=300,
    )
    store = write_synthetic_store(tmp_path, spec, seed=11)
    study = load_study(store.root)
    table = variance_explained(study.per_run, study.datasets)
    assert list(table["metric"]) == [m.label for m in METRICS]
    assert (table["runs"] == 1800).all()
    np.testing.assert_allclose(table["objective"], objective_share, atol=0.05)
    np.testing.assert_allclose(table["objective x strength"], objective_share + strength_share, atol=0.05)
    np.testing.assert_allclose(table["seed (rest)"], 1 - objective_share - strength_share, atol=0.05)


def test_share_equals_r2_of_one_hot_least_squares():
    rng = np.random.default_rng(0)
    objective = pd.Series(rng.choice(["a", "b", "c"], 200))
    strength = pd.Series(rng.choice([1.0, 2.0, 4.0], 200))
    y = rng.standard_normal(200) + (objective == "b") * 1.5 + strength * 0.3
    for groups, columns in (
        ([objective], objective),
        ([objective, strength], objective + "/" + strength.astype(str)),
    ):
        one_hot = pd.get_dummies(columns).to_numpy(float)
        expected = LinearRegression().fit(one_hot, y).score(one_hot, y)
        assert explained_share(y, groups if len(groups) > 1 else groups[0]) == pytest.approx(
            expected, abs=1e-12
        )


def test_constant_scores_have_no_share_and_short_pairs_are_left_out():
    assert np.isnan(explained_share(np.ones(5), pd.Series(list("aabbc"))))
    frame = pd.DataFrame(
        {
            "dataset": "d",
            "objective": ["a", "b"],
            "strength": 1.0,
            **{m.label: [0.1, np.nan] for m in METRICS},
        }
    )
    assert variance_explained(frame, ["d"]).empty


@pytest.mark.parametrize("shares", [(0.8, 0.3), (-0.1, 0.5)])
def test_impossible_planted_shares_are_refused(shares):
    with pytest.raises(ValueError, match="objective_share and strength_share"):
        SyntheticSpec(objective_share=shares[0], strength_share=shares[1])


def test_saturated_fits_give_no_share_and_say_so():
    one_per_objective = pd.DataFrame(
        {
            "dataset": "d",
            "objective": list("abc"),
            "strength": 1.0,
            **{m.label: [0.1, 0.5, 0.9] for m in METRICS},
        }
    )
    table = variance_explained(one_per_objective, ["d"])
    assert table[["objective", "objective x strength", "seed (rest)"]].isna().all().all()
    assert set(table["note"]) == {"saturated: one run per objective, no decomposition possible"}
    one_per_setting = pd.DataFrame(
        {
            "dataset": "d",
            "objective": list("aabb"),
            "strength": [1.0, 2.0, 1.0, 2.0],
            **{m.label: [0.1, 0.2, 0.7, 0.9] for m in METRICS},
        }
    )
    table = variance_explained(one_per_setting, ["d"])
    assert table["objective"].notna().all() and table["objective x strength"].isna().all()
    assert table["note"].str.startswith("objective x strength saturated").all()
