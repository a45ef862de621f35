"""Rank correlations: identical metrics give 1, monotone transforms 1, reversed -1, independent ones ~0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import correlation
from analysis.quantities import METRICS

MIG, SAP = METRICS[2].label, METRICS[5].label


def _runs(values: dict[str, np.ndarray], dataset: str = "d") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"dataset": dataset, **values}, index=range(n))


def test_identical_monotone_and_reversed_metrics():
    x = np.random.default_rng(0).standard_normal(500)
    frame = _runs({"a": x, "same": x.copy(), "exp": np.exp(x), "reversed": -(x**3)})
    table = correlation.rank_correlation(frame, ["a"], ["same", "exp", "reversed"])
    np.testing.assert_allclose(table.loc["a"].to_numpy(), [1.0, 1.0, -1.0], atol=1e-12)


def test_independent_metrics_are_near_zero():
    rng = np.random.default_rng(1)
    frame = _runs({"a": rng.standard_normal(4000), "b": rng.standard_normal(4000)})
    assert abs(correlation.rank_correlation(frame, ["a"], ["b"]).iloc[0, 0]) < 0.05


def test_pairs_with_too_few_runs_are_nan():
    frame = _runs({"a": np.array([1.0, 2.0, np.nan, 4.0]), "b": np.array([1.0, 2.0, 3.0, np.nan])})
    assert np.isnan(correlation.rank_correlation(frame, ["a"], ["b"]).iloc[0, 0])


def test_metric_table_per_dataset():
    rng = np.random.default_rng(2)
    blocks = []
    for dataset in ("d1", "d2"):
        x = rng.standard_normal(300)
        columns = {m.label: rng.standard_normal(300) for m in METRICS}
        columns[MIG], columns[SAP] = x, (x if dataset == "d1" else -x)
        blocks.append(_runs(columns, dataset))
    table = correlation.metric_correlations(pd.concat(blocks, ignore_index=True), ["d1", "d2"])
    assert table.index.names == ["dataset", "quantity"] and table.shape == (12, 6)
    assert table.loc[("d1", MIG), SAP] == pytest.approx(1.0)
    assert table.loc[("d2", MIG), SAP] == pytest.approx(-1.0)
    assert abs(table.loc[("d1", MIG), METRICS[0].label]) < 0.2


def test_dataset_correlations_use_medians_per_setting():
    settings = [(o, s) for o in ("x", "y", "z") for s in (1.0, 2.0)]
    rows = []
    for dataset, sign in (("d1", 1), ("d2", 1), ("d3", -1)):
        for rank, (objective, strength) in enumerate(settings):
            for seed in range(5):  # seeds scatter around the setting's median, which is `rank`
                rows.append(
                    {
                        "dataset": dataset,
                        "objective": objective,
                        "strength": strength,
                        "seed": seed,
                        MIG: sign * (rank + (seed - 2) * 0.1),
                    }
                )
    frame = pd.DataFrame(rows)
    table = correlation.dataset_correlations(frame, ["d1", "d2", "d3"], metrics=[METRICS[2]])
    assert table.loc[(MIG, "d1"), "d2"] == pytest.approx(1.0)
    assert table.loc[(MIG, "d1"), "d3"] == pytest.approx(-1.0)
    assert correlation.dataset_correlations(frame, ["d1"], metrics=[METRICS[2]]).empty


def test_intervals_cover_the_estimate_and_narrow_with_n():
    rng = np.random.default_rng(3)
    widths = {}
    for n in (8, 400):
        x = rng.standard_normal(n)
        frame = _runs({MIG: x, SAP: x + rng.standard_normal(n)})
        table = correlation.intervals(frame, ["d"], [METRICS[2]], [METRICS[5]], n_boot=300)
        row = table.iloc[0]
        assert row["n"] == n and row["ci_low"] <= row["spearman"] <= row["ci_high"]
        assert row["spearman"] == pytest.approx(
            correlation.rank_correlation(frame, [MIG], [SAP]).iloc[0, 0], abs=1e-12
        )
        widths[n] = row["ci_high"] - row["ci_low"]
    assert widths[8] > 3 * widths[400]


def test_symmetric_tables_list_each_pair_once_and_display_as_a_matrix():
    rng = np.random.default_rng(4)
    frame = _runs({m.label: rng.standard_normal(50) for m in METRICS})
    frame.loc[:4, MIG] = np.nan  # MIG's pairs have 45 runs
    table = correlation.intervals(frame, ["d"], METRICS, METRICS, n_boot=100)
    assert len(table) == 15 and set(table.loc[table["quantity"] == MIG, "n"]) == {45}
    shown = correlation.display(table)
    assert list(shown.columns[:3]) == ["dataset", "quantity", "n"]
    assert shown.loc[shown["quantity"] == METRICS[0].label, "n"].item() == "45-50"
    cell = shown.loc[shown["quantity"] == METRICS[0].label, SAP].item()
    assert cell.count("[") == 1 and cell.endswith("]")


def test_constant_scores_give_no_interval():
    frame = _runs({MIG: np.arange(6.0), SAP: np.ones(6)})
    assert correlation.intervals(frame, ["d"], [METRICS[2]], [METRICS[5]]).empty
