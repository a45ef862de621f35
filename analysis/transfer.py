"""Does selecting a model by a metric on one data set and seed pick the better model elsewhere?
(paper Sec. 4.6, Table 3).

One draw: a source (metric, data set), a target (metric, data set) related to it as the setting says, two
different hyperparameter settings (objective, strength) and two different seeds s != t. The setting whose run
with seed s scores higher on the source is chosen; the draw succeeds if the chosen setting's run with seed t
also scores higher on the target. A tie on either side counts as half a success (a coin flip). Draws that
hit a missing run are redrawn, so partial stores give the rate over the runs they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.quantities import METRICS, Quantity

MAX_ROUNDS = 50  # redraw rounds before giving up on a store too sparse for the requested draws


@dataclass(frozen=True)
class TransferSetting:
    """How the target relates to the source, and the paper's success rate for it (None: not quoted)."""

    name: str
    same_metric: bool
    same_dataset: bool
    paper: float | None


SETTINGS = (
    TransferSetting("same metric, same data set", True, True, 0.807),
    TransferSetting("same metric, other data set", True, False, 0.593),
    TransferSetting("other metric, same data set", False, True, None),
    TransferSetting("other metric, other data set", False, False, 0.549),
)


def score_tensor(per_run: pd.DataFrame, datasets: Sequence[str], metrics: Sequence[Quantity]) -> np.ndarray:
    """Scores as [data set, metric, (objective, strength) setting, seed], NaN where a run is missing."""
    frame = per_run[per_run["dataset"].isin(datasets)]
    setting = pd.MultiIndex.from_frame(frame[["objective", "strength"]])
    setting_codes = pd.factorize(setting, sort=True)[0]
    seed_codes, seeds = pd.factorize(frame["seed"], sort=True)
    dataset_codes = pd.Categorical(frame["dataset"], categories=list(datasets)).codes
    tensor = np.full((len(datasets), len(metrics), setting_codes.max(initial=-1) + 1, len(seeds)), np.nan)
    for i, metric in enumerate(metrics):
        tensor[dataset_codes, i, setting_codes, seed_codes] = frame[metric.label].to_numpy(float)
    return tensor


def success_draws(
    tensor: np.ndarray, setting: TransferSetting, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Up to `draws` outcomes (1, 0.5 or 0) of `setting` on `tensor` (fewer if the store is too sparse)."""
    n_data, n_metric, n_setting, n_seed = tensor.shape
    if (
        min(n_setting, n_seed) < 2
        or (not setting.same_dataset and n_data < 2)
        or (not setting.same_metric and n_metric < 2)
    ):
        return np.empty(0)
    outcomes: list[np.ndarray] = []
    for _ in range(MAX_ROUNDS):
        d, m = rng.integers(n_data, size=draws), rng.integers(n_metric, size=draws)
        d_t = d if setting.same_dataset else (d + rng.integers(1, n_data, size=draws)) % n_data
        m_t = m if setting.same_metric else (m + rng.integers(1, n_metric, size=draws)) % n_metric
        h1 = rng.integers(n_setting, size=draws)
        h2 = (h1 + rng.integers(1, n_setting, size=draws)) % n_setting
        s = rng.integers(n_seed, size=draws)
        t = (s + rng.integers(1, n_seed, size=draws)) % n_seed
        source = np.sign(tensor[d, m, h1, s] - tensor[d, m, h2, s])
        target = np.sign(tensor[d_t, m_t, h1, t] - tensor[d_t, m_t, h2, t])
        valid = np.isfinite(source) & np.isfinite(target)
        tie = (source == 0) | (target == 0)
        outcomes.append(np.where(tie, 0.5, (source == target).astype(float))[valid])
        if sum(len(o) for o in outcomes) >= draws:
            break
    return np.concatenate(outcomes)[:draws]


def transfer_experiment(
    per_run: pd.DataFrame,
    datasets: Sequence[str],
    metrics: Sequence[Quantity] = METRICS,
    draws: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Success rate, its standard error and the number of draws for each setting in SETTINGS."""
    tensor = score_tensor(per_run, datasets, metrics)
    rng = np.random.default_rng(seed)
    rows = []
    for setting in SETTINGS:
        outcome = success_draws(tensor, setting, draws, rng)
        rate = float(outcome.mean()) if len(outcome) else float("nan")
        error = float(outcome.std(ddof=1) / np.sqrt(len(outcome))) if len(outcome) > 1 else float("nan")
        rows.append(
            {
                "setting": setting.name,
                "success rate": rate,
                "std. error": error,
                "draws": len(outcome),
                "paper": setting.paper,
            }
        )
    return pd.DataFrame(rows)
