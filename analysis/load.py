"""Load a result store into the frames the analysis works on: one row per run, one column per quantity.

Only committed runs count: a score or curve row whose run_id is not in the `runs` table was written by a job
that never finished (its `runs` file is the commit record), and runs that diverged or failed are left out of
the score analysis. Both are counted in `StudyData.notes` so every caption can say what it excluded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.quantities import (
    DOWNSTREAM_METRICS,
    DOWNSTREAM_SIZES,
    METRICS,
    STUDY_DATASETS,
    STUDY_OBJECTIVES,
    TC_MEAN,
    UNSUPERVISED,
    Quantity,
    downstream_quantities,
)
from results_schema import read_table

RUN_KEYS = ("run_id", "model_num", "dataset", "objective", "strength_name", "strength", "seed")


@dataclass(frozen=True)
class StudyData:
    """A store's runs, their scores in wide form, and their training curves, ready for the analyses."""

    store_root: Path
    runs: pd.DataFrame  # every committed run (any status), the `runs` table
    per_run: pd.DataFrame  # done runs: RUN_KEYS + one float column per Quantity label (NaN where absent)
    curves: pd.DataFrame  # train_curves rows of done runs
    notes: tuple[str, ...]  # what was excluded, for the report's captions
    # (metric, representation, params_json, backend) of the done runs' score rows, with `runs` counting them:
    # the evaluation profile the scores were computed with (see analysis.provenance)
    profile: pd.DataFrame = None  # type: ignore[assignment]
    downstream_sizes: tuple[int, ...] = DOWNSTREAM_SIZES  # training-set sizes the store holds accuracies for

    @property
    def downstream(self) -> tuple[Quantity, ...]:
        """The downstream quantities (accuracy per size the store holds, sample efficiency) of this store."""
        return downstream_quantities(self.downstream_sizes)

    @property
    def datasets(self) -> list[str]:
        """Data sets with at least one done run, in the study's order."""
        return study_order(self.per_run["dataset"].unique(), STUDY_DATASETS)

    @property
    def objectives(self) -> list[str]:
        """Objectives with at least one done run, in the study's order."""
        return study_order(self.per_run["objective"].unique(), STUDY_OBJECTIVES)

    def missing(self, labels: Sequence[str], min_runs: int = 1) -> list[str]:
        """Readable gaps: study data sets without runs; (data set, quantity) with < `min_runs` values."""
        absent = [d for d in STUDY_DATASETS if d not in self.datasets]
        gaps = [f"study data set(s) without done runs: {', '.join(absent)}"] if absent else []
        finite = self.per_run[list(labels)].apply(np.isfinite).groupby(self.per_run["dataset"]).sum()
        for dataset in self.datasets:
            short = [label for label in labels if finite.loc[dataset, label] < min_runs]
            if short:
                gaps.append(f"{dataset}: fewer than {min_runs} run(s) with {', '.join(short)}")
        return gaps


def study_order(values: Iterable[str], order: Sequence[str]) -> list[str]:
    """`values` sorted by their position in `order`, unknown ones after them alphabetically."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(order)), v))


def load_study(store_root: str | Path, quantities: Sequence[Quantity] | None = None) -> StudyData:
    """Read the store at `store_root` (validated) and arrange the scores of `quantities` per run.

    By default: the metrics, the unsupervised scores and the downstream accuracies at the training-set sizes
    the store holds (those its score rows' params list, or the study's when none are recorded)."""
    root = Path(store_root)
    runs = read_table(root, "runs").to_pandas()
    sizes, discovered = DOWNSTREAM_SIZES, quantities is None
    if quantities is None:
        sizes = _downstream_sizes(root)
        quantities = (*METRICS, *UNSUPERVISED, TC_MEAN, *downstream_quantities(sizes))
    wanted = {
        "metric": sorted({q.metric for q in quantities}),
        "score": sorted({q.score for q in quantities}),
    }
    scores = read_table(root, "scores", wanted).to_pandas()
    curves = read_table(root, "train_curves").to_pandas()
    done = runs[runs["status"] == "done"]
    notes = []
    excluded = runs["status"].value_counts().drop("done", errors="ignore")
    if len(excluded):
        notes.append("excluded runs: " + ", ".join(f"{n} {status}" for status, n in excluded.items()))
    for name, frame in (("scores", scores), ("train_curves", curves)):
        orphans = ~frame["run_id"].isin(runs["run_id"])
        if orphans.any():
            lost = frame.loc[orphans, "run_id"].nunique()
            notes.append(
                f"ignored {int(orphans.sum())} {name} row(s) of {lost} run(s) with no committed "
                f"`runs` row (interrupted jobs)"
            )
    per_run = _per_run(done, scores, quantities)
    held = sizes
    if discovered:
        held = tuple(n for n in sizes if per_run[[f"{m} {n}" for m in ("LR", "GBT")]].notna().any().any())
        held = held or tuple(n for n in sizes if n in DOWNSTREAM_SIZES)  # no downstream scores at all
    if held != sizes:
        dropped = {q.label for q in downstream_quantities(sizes)} - {
            q.label for q in downstream_quantities(held)
        }
        per_run = per_run.drop(columns=[c for c in dropped if c in per_run])
    done_scores = scores[scores["run_id"].isin(done["run_id"])]
    profile = (
        done_scores.groupby(
            ["metric", "representation", "params_json", "backend"], dropna=False, observed=True
        )["run_id"]
        .nunique()
        .rename("runs")
        .reset_index()
    )
    return StudyData(
        root,
        runs,
        per_run,
        curves[curves["run_id"].isin(done["run_id"])].reset_index(drop=True),
        tuple(notes),
        profile,
        held,
    )


def _downstream_sizes(root: Path) -> tuple[int, ...]:
    """Training-set sizes of the downstream tasks: from the score rows' params (`train_sizes`), with the
    study's sizes added as candidates (rows at sizes no run holds are dropped by the caller)."""
    rows = read_table(root, "scores", {"metric": list(DOWNSTREAM_METRICS), "score": "sample_efficiency"})
    found = set(DOWNSTREAM_SIZES)
    for text in set(rows.column("params_json").to_pylist()):
        try:
            found |= {int(n) for n in json.loads(text).get("train_sizes", ())}
        except (ValueError, TypeError, AttributeError):
            continue
    return tuple(sorted(found))


def _per_run(done: pd.DataFrame, scores: pd.DataFrame, quantities: Sequence[Quantity]) -> pd.DataFrame:
    """RUN_KEYS of the done runs plus one column per quantity, filled from the long `scores` rows."""
    labels = [q.label for q in quantities]
    wanted = pd.DataFrame(
        [(q.representation, q.metric, q.score, i) for i, q in enumerate(quantities)],
        columns=["representation", "metric", "score", "column"],
    )
    keys = done[list(RUN_KEYS)].astype({"dataset": str, "objective": str, "strength_name": str})
    keys = keys.reset_index(drop=True)
    rows = scores.merge(wanted, on=["representation", "metric", "score"])
    row_of = pd.Series(np.arange(len(keys)), index=keys["run_id"].to_numpy())
    rows = rows[rows["run_id"].isin(row_of.index)]
    values = np.full((len(keys), len(labels)), np.nan)
    values[row_of[rows["run_id"].to_numpy()].to_numpy(), rows["column"].to_numpy()] = rows["value"].to_numpy(
        float
    )
    return pd.concat([keys, pd.DataFrame(values, columns=labels)], axis=1)
