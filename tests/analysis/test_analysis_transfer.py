"""The transfer experiment returns the success rate planted into the scores, setting by setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from analysis.quantities import Quantity
from analysis.transfer import SETTINGS, transfer_experiment

X, Y = Quantity("X", "x", "x"), Quantity("Y", "y", "y")
LEVELS, SEEDS, NOISE = 6, 200, 1.5


def _planted(sign_of: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    """Every (data set, metric) scores setting h as sign * h + NOISE * e, with e independent standard normal
    draws over the seeds, standardised so the realised noise of each setting has exactly mean 0 and sd 1."""
    blocks = []
    for dataset, sign in sign_of.items():
        h = np.repeat(np.arange(LEVELS), SEEDS)
        block = pd.DataFrame(
            {
                "dataset": dataset,
                "objective": [f"o{k // 2}" for k in h],
                "strength": (h % 2).astype(float),
                "seed": np.tile(np.arange(SEEDS), LEVELS),
            }
        )
        for label in ("X", "Y"):
            noise = rng.standard_normal((LEVELS, SEEDS))
            noise = (noise - noise.mean(axis=1, keepdims=True)) / noise.std(axis=1, keepdims=True)
            block[label] = sign * h + NOISE * noise.ravel()
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)


def _expected(agree: bool) -> float:
    """Mean over ordered pairs of distinct settings of the chance the two comparisons agree (or disagree)."""
    rates = []
    for h1 in range(LEVELS):
        for h2 in range(LEVELS):
            if h1 != h2:
                p = norm.cdf(abs(h1 - h2) / (NOISE * np.sqrt(2)))  # one noisy comparison is right
                rates.append(p * p + (1 - p) * (1 - p) if agree else 2 * p * (1 - p))
    return float(np.mean(rates))


def _rates(frame: pd.DataFrame, datasets: list[str], draws: int = 20_000) -> dict[str, pd.Series]:
    table = transfer_experiment(frame, datasets, metrics=[X, Y], draws=draws, seed=5)
    return {row["setting"]: row for _, row in table.iterrows()}


def test_planted_rate_when_all_cells_agree():
    rates = _rates(_planted({"A": 1, "B": 1}, np.random.default_rng(0)), ["A", "B"])
    for setting in SETTINGS:
        assert rates[setting.name]["draws"] == 20_000
        assert rates[setting.name]["success rate"] == pytest.approx(_expected(agree=True), abs=0.015)


def test_planted_rate_when_data_sets_disagree():
    rates = _rates(_planted({"A": 1, "B": -1}, np.random.default_rng(1)), ["A", "B"])
    for setting in SETTINGS:
        want = _expected(agree=setting.same_dataset)
        assert rates[setting.name]["success rate"] == pytest.approx(want, abs=0.015), setting.name
    assert _expected(agree=True) - _expected(agree=False) > 0.4  # the two planted rates are far apart


def test_paper_values_and_standard_error_are_reported():
    table = transfer_experiment(
        _planted({"A": 1, "B": 1}, np.random.default_rng(2)), ["A", "B"], metrics=[X, Y], draws=1000
    )
    assert table["paper"].tolist()[:2] == [0.807, 0.593] and table["paper"].tolist()[3] == 0.549
    rate = table["success rate"].to_numpy()
    assert np.all(table["std. error"].to_numpy() <= np.sqrt(rate * (1 - rate) / 1000) * 1.01)


def test_sparse_stores_draw_what_they_can():
    frame = _planted({"A": 1}, np.random.default_rng(3))
    frame.loc[frame.index % 3 == 0, "X"] = np.nan  # a third of the runs lack X
    rates = _rates(frame, ["A"], draws=2000)
    assert rates["same metric, same data set"]["draws"] == 2000
    assert rates["same metric, other data set"]["draws"] == 0
    assert np.isnan(rates["same metric, other data set"]["success rate"])


def test_same_seed_gives_the_same_table():
    frame = _planted({"A": 1, "B": 1}, np.random.default_rng(4))
    first = transfer_experiment(frame, ["A", "B"], metrics=[X, Y], draws=500, seed=9)
    pd.testing.assert_frame_equal(
        first, transfer_experiment(frame, ["A", "B"], metrics=[X, Y], draws=500, seed=9)
    )
