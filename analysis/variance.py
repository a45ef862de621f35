"""How much of each metric's variance the objective, and the objective with its strength, explain (paper
Sec. 4.2, Fig. 7 of the appendix).

For each data set and metric, the share is the R^2 of a least-squares regression of the score on a one-hot
encoding of the objective (part a) and of the (objective, strength) product (part b). With one-hot
regressors (and an intercept) the fitted value of a run is its group's mean, so
R^2 = 1 - SS_within / SS_total; we compute it that way. What part b leaves is the seed's share.

A fit with as many groups as runs is saturated: every run is its own group, R^2 = 1 by construction and
nothing is left to compare the seed with. Such shares are not reported (NaN, with a note saying why); the
report lists the whole table under "Not computed" when no share is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.quantities import METRICS, Quantity


def explained_share(values: np.ndarray, groups: pd.Series | list[pd.Series]) -> float:
    """R^2 of regressing `values` on one-hot `groups` (one key or several combined); NaN if constant."""
    y = pd.Series(np.asarray(values, float))
    keys = groups if isinstance(groups, list) else [groups]
    fitted = y.groupby([k.reset_index(drop=True) for k in keys]).transform("mean")
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0.0:
        return float("nan")
    return 1.0 - float(((y - fitted) ** 2).sum()) / total


COLUMNS = [
    "dataset",
    "metric",
    "runs",
    "settings",
    "objective",
    "objective x strength",
    "seed (rest)",
    "objective, adjusted",
    "objective x strength, adjusted",
    "note",
]


def adjusted(share: float, runs: int, groups: int) -> float:
    """Adjusted R^2 of a one-hot fit with `groups` groups on `runs` runs: 0 in expectation when the groups
    explain nothing (plain R^2 is then (groups - 1) / (runs - 1), far from 0 with few seeds per setting)."""
    if not np.isfinite(share) or runs <= groups:
        return float("nan")
    return 1.0 - (1.0 - share) * (runs - 1) / (runs - groups)


def saturation(present: pd.DataFrame) -> tuple[int, int, str]:
    """(objectives, objective x strength settings, note) of the runs in `present`: the note says which fit
    is saturated (one run per group) or has fewer than two runs per setting on average."""
    objectives = present["objective"].nunique()
    settings = len(present.groupby(["objective", "strength"]).size())
    runs = len(present)
    if runs <= objectives:
        return objectives, settings, "saturated: one run per objective, no decomposition possible"
    if runs <= settings:
        return objectives, settings, "objective x strength saturated: one run per setting, no seed share"
    if runs < 2 * settings:
        return (
            objectives,
            settings,
            (
                f"{runs / settings:.1f} runs per setting: too few to separate the setting from the seed "
                "(needs two per setting on average)"
            ),
        )
    return objectives, settings, "-"


def variance_explained(
    per_run: pd.DataFrame, datasets: Sequence[str], metrics: Sequence[Quantity] = METRICS
) -> pd.DataFrame:
    """One row per (data set, metric): runs used, the number of (objective, strength) settings and the
    variance shares of objective, objective x strength and seed (NaN where the fit is saturated, see
    `saturation`; `note` says so). Pairs with fewer than two finite scores are left out (the caller lists them
    as missing)."""
    rows = []
    for dataset in datasets:
        frame = per_run[per_run["dataset"] == dataset]
        for metric in metrics:
            present = frame[np.isfinite(frame[metric.label].to_numpy(float))]
            if len(present) < 2:
                continue
            objectives, settings, note = saturation(present)
            by_objective = by_setting = float("nan")
            n = len(present)
            if n > objectives:
                by_objective = explained_share(present[metric.label], present["objective"])
            if n >= 2 * settings:
                by_setting = explained_share(
                    present[metric.label], [present["objective"], present["strength"]]
                )
            rows.append(
                {
                    "dataset": dataset,
                    "metric": metric.label,
                    "runs": len(present),
                    "settings": settings,
                    "objective": by_objective,
                    "objective x strength": by_setting,
                    "seed (rest)": 1.0 - by_setting,
                    "objective, adjusted": adjusted(by_objective, n, objectives),
                    "objective x strength, adjusted": adjusted(by_setting, n, settings),
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
