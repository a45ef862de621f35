"""What a report was built from, stated at its top: the grid, the training length, the evaluation profile, the
GBT backend, the data source per data set and the code version, and a banner when the runs are too short or
too few for the paper's analyses.

Everything comes from the store itself: the `runs` rows (steps, seeds, versions, each run's resolved config)
and the score rows' `params_json` (the sizes each metric was computed with) and `backend`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from analysis.load import StudyData, study_order
from analysis.quantities import (
    MIN_SEEDS,
    STUDY_DATASETS,
    STUDY_OBJECTIVES,
    STUDY_SEEDS,
    STUDY_SIZES,
    STUDY_STEPS,
)

# Size parameters shown per metric, in this order, with short names.
SIZE_KEYS = {
    "batch_size": "batch",
    "num_train": "train",
    "num_eval": "eval",
    "num_test": "test",
    "num_variance_estimate": "variance estimate",
    "num_observations": "observations",
    "train_sizes": "train sizes",
    "efficiency_sizes": "efficiency",
}
METRIC_NAMES = {
    "beta_vae_score": "BetaVAE score",
    "factor_vae_score": "FactorVAE score",
    "mig": "MIG",
    "dci": "DCI",
    "modularity_explicitness": "Modularity / explicitness",
    "sap_score": "SAP",
    "unsupervised": "Unsupervised (TC, WC, MI)",
    "downstream_lr": "Downstream LR",
    "downstream_gbt": "Downstream GBT",
    "model": "Model (reconstruction, KL, ELBO)",
}
GBT_BACKENDS = {
    "sklearn": "sklearn: scikit-learn's GradientBoostingClassifier, as the study",
    "lightgbm": "lightgbm: the fast approximate backend (docs/evaluation.md), not bit-comparable with the "
    "study",
}
_DSPRITES = "dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites"
_NO_RENDERER = "smallnorb", "cars3d"


@dataclass(frozen=True)
class Provenance:
    """The report's header: labelled facts (plain text), the grid table and the warnings of its banner."""

    facts: tuple[tuple[str, str], ...]
    grid: pd.DataFrame  # data set x objective: "done/committed runs, strengths x seeds"
    profile: pd.DataFrame  # one row per metric: representations, sizes, the study's sizes, backend
    warnings: tuple[str, ...]

    def html(self) -> str:
        """The header as HTML: a banner (if any warning), the facts, the grid and the profile tables."""
        from analysis.markup import html_table  # here: markup is imported by the report, not the reverse

        parts = []
        if self.warnings:
            items = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
            parts.append(
                '<div class="banner" id="banner"><strong>Read with care: these runs cannot support the '
                f"paper's analyses.</strong><ul>{items}</ul></div>"
            )
        facts = "".join(
            f"<tr><th>{html.escape(label)}</th><td class=text>{html.escape(text)}</td></tr>"
            for label, text in self.facts
        )
        parts.append(f'<table class="facts">{facts}</table>')
        if not self.grid.empty:
            parts.append("<p>Runs per data set and objective (done / committed; strengths x seeds):</p>")
            parts.append(html_table(self.grid))
        if not self.profile.empty:
            parts.append("<p>Evaluation profile (sizes from the score rows' params):</p>")
            parts.append(html_table(self.profile))
        return (
            '<section id="provenance"><h2>What this report was built from</h2>'
            + "".join(parts)
            + "</section>"
        )

    def text(self) -> list[str]:
        """The facts and warnings as plain lines (for the command line and Markdown)."""
        return [f"{label}: {text}" for label, text in self.facts] + [f"warning: {w}" for w in self.warnings]


def provenance(study: StudyData) -> Provenance:
    """The header of `study`'s report."""
    runs = study.runs.astype({"dataset": str, "objective": str})
    done = runs[runs["status"] == "done"]
    configs = [_json(text) for text in runs.drop_duplicates(["dataset", "objective"])["config_json"]]
    facts: list[tuple[str, str]] = []
    warnings: list[str] = []
    if runs.empty:
        facts.append(("Runs", "the store holds no committed runs"))
        return Provenance(
            tuple(facts), pd.DataFrame(), pd.DataFrame(), ("The store holds no committed runs.",)
        )
    facts.append(("Sweep", ", ".join(sorted(runs["sweep"].astype(str).unique()))))
    facts.append(("Grid", _grid_sentence(runs, done)))
    steps, step_text = _steps(done if len(done) else runs)
    facts.append(("Training steps", step_text))
    profile, reduced, sampled_text = _profile(study)
    facts.append(("Representations", sampled_text))
    facts.append(("GBT backend", _backend(study.profile)))
    facts.append(("Data", _data_sources(runs)))
    facts.append(("Code", _code(runs)))
    if (runs["device"].astype(str) == "synthetic").all():
        warnings.append(
            "Synthetic store: every score was generated with planted structure, nothing was trained."
        )
    if steps and max(steps) < STUDY_STEPS / 10:
        warnings.append(
            f"Runs trained for {_join(steps)} steps, {100 * max(steps) / STUDY_STEPS:.2g}% of the study's "
            f"{STUDY_STEPS:,}: these are models early in training, not the converged models the paper "
            "compares."
        )
    seeds = _seeds_per_setting(done)
    if len(seeds) and seeds.min() < MIN_SEEDS:
        warnings.append(
            f"{int(seeds.min())} seed(s) per (objective, strength) setting at the least (the study: "
            f"{STUDY_SEEDS}); "
            f"fewer than {MIN_SEEDS} leave the seed's share of variance, the rank correlations and the "
            "model-selection rates mostly noise (see the n and intervals of each table)."
        )
    strengths = done.groupby(["dataset", "objective"])["strength"].nunique()
    if len(strengths) and strengths.max() < 2:
        warnings.append(
            "One strength per objective: the effect of the regularization strength and hyperparameter "
            "transfer cannot be measured."
        )
    if reduced:
        warnings.append(
            "Metric sizes below the study's for " + ", ".join(reduced) + ": the scores are noisier than the "
            "paper's and not directly comparable with them."
        )
    for dataset, config in zip(
        runs.drop_duplicates(["dataset", "objective"])["dataset"], configs, strict=True
    ):
        if dataset == "shapes3d" and (config.get("dataset") or {}).get("procedural"):
            warnings.append(
                "shapes3d was rendered as a look-alike: its scores are not comparable with the paper's."
            )
            break
    return Provenance(tuple(facts), _grid_table(runs, done), profile, tuple(dict.fromkeys(warnings)))


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _join(values: Iterable) -> str:
    return " / ".join(f"{v:,}" if isinstance(v, int | np.integer) else str(v) for v in values)


def _grid_sentence(runs: pd.DataFrame, done: pd.DataFrame) -> str:
    parts = []
    for dataset in study_order(runs["dataset"], STUDY_DATASETS):
        rows = runs[runs["dataset"] == dataset]
        ok = done[done["dataset"] == dataset]
        strengths = rows.groupby("objective")["strength"].nunique()
        seeds = rows["seed"].nunique()
        span = (
            f"{strengths.min()}"
            if strengths.min() == strengths.max()
            else f"{strengths.min()}-{strengths.max()}"
        )
        parts.append(
            f"{dataset}: {rows['objective'].nunique()} objective(s) x {span} strength(s) x {seeds} seed(s), "
            f"{len(rows)} committed run(s), {len(ok)} done"
        )
    return "; ".join(parts) + f" (the study: 6 objectives x 6 strengths x {STUDY_SEEDS} seeds per data set)."


def _grid_table(runs: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    objectives = study_order(runs["objective"], STUDY_OBJECTIVES)
    rows = []
    for dataset in study_order(runs["dataset"], STUDY_DATASETS):
        row = {"dataset": dataset}
        for objective in objectives:
            cell = runs[(runs["dataset"] == dataset) & (runs["objective"] == objective)]
            ok = done[(done["dataset"] == dataset) & (done["objective"] == objective)]
            row[objective] = (
                f"{len(ok)}/{len(cell)}; {cell['strength'].nunique()} x {cell['seed'].nunique()}"
                if len(cell)
                else "-"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _steps(runs: pd.DataFrame) -> tuple[list[int], str]:
    steps = sorted(int(s) for s in runs["steps"].unique())
    if not steps:
        return [], "not recorded"
    share = 100 * max(steps) / STUDY_STEPS
    return steps, f"{_join(steps)} per run (the study: {STUDY_STEPS:,}; {share:.2g}% of it)"


def _seeds_per_setting(done: pd.DataFrame) -> pd.Series:
    return done.groupby(["dataset", "objective", "strength"])["seed"].nunique()


def _profile(study: StudyData) -> tuple[pd.DataFrame, list[str], str]:
    """(profile table, names of metrics with sizes below the study's, which metrics have sampled scores)."""
    frame = study.profile
    if frame is None or frame.empty:
        return pd.DataFrame(), [], "no scores in the store"
    rows, reduced = [], []
    frame = frame.astype({"metric": str, "representation": str})
    metrics = sorted(
        frame["metric"].unique(), key=lambda m: list(METRIC_NAMES).index(m) if m in METRIC_NAMES else 99
    )
    sampled = [m for m in metrics if (frame.loc[frame["metric"] == m, "representation"] == "sampled").any()]
    for metric in metrics:
        part = frame[frame["metric"] == metric]
        params = [_json(p) for p in part["params_json"].unique()]
        values: dict[str, set] = {}
        for p in params:
            for key in SIZE_KEYS:
                if key in p:
                    values.setdefault(key, set()).add(json.dumps(p[key]))
        study_sizes = STUDY_SIZES.get(metric, {})
        below = [
            key
            for key, found in values.items()
            if key in study_sizes
            and any(_number(v) is not None and _number(v) < study_sizes[key] for v in found)
        ]
        if below:
            reduced.append(METRIC_NAMES.get(metric, metric))
        backends = sorted({str(b) for b in part["backend"].dropna().unique()})
        rows.append(
            {
                "metric": METRIC_NAMES.get(metric, metric),
                "representations": ", ".join(sorted(part["representation"].unique())),
                "runs": int(part.loc[part["representation"] == "mean", "runs"].max())
                if (part["representation"] == "mean").any()
                else int(part["runs"].max()),
                "sizes": "; ".join(
                    f"{SIZE_KEYS[key]} {' | '.join(sorted(found, key=len))}"
                    for key, found in _ordered(values)
                )
                or "not recorded",
                "study sizes": "; ".join(f"{SIZE_KEYS[k]} {v}" for k, v in study_sizes.items()) or "-",
                "below the study's": ", ".join(SIZE_KEYS[k] for k in below) or "no",
                "backend": ", ".join(backends) or "-",
            }
        )
    if not sampled:
        sampled_text = "scores of the mean representation only; nothing was scored on the sampled one"
    elif len(sampled) == len(metrics) or set(metrics) - set(sampled) <= {"model"}:
        sampled_text = "every metric on the mean and on the sampled representation (as the study)"
    else:
        names = ", ".join(METRIC_NAMES.get(m, m) for m in sampled)
        sampled_text = (
            f"every metric on the mean representation; on the sampled representation only {names} "
            "(the study scores every metric on both; items needing other sampled scores are not computed)"
        )
    return pd.DataFrame(rows), reduced, sampled_text


def _ordered(values: dict[str, set]) -> list[tuple[str, set]]:
    return [(key, values[key]) for key in SIZE_KEYS if key in values]


def _number(text: str) -> float | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return float(value) if isinstance(value, int | float) else None


def _backend(profile: pd.DataFrame) -> str:
    if profile is None or profile.empty:
        return "no GBT scores"
    rows = profile[profile["metric"].astype(str).isin(["dci", "downstream_gbt"])]
    backends = sorted({str(b) for b in rows["backend"].dropna().unique()})
    if not backends:
        return "not recorded (DCI and downstream GBT scores absent or without a backend)"
    return "; ".join(GBT_BACKENDS.get(b, b) for b in backends) + " (used by DCI and the downstream GBT)"


def _data_sources(runs: pd.DataFrame) -> str:
    parts = []
    for dataset in study_order(runs["dataset"], STUDY_DATASETS):
        configs = runs.loc[runs["dataset"] == dataset, "config_json"].drop_duplicates()
        choices = {(_json(c).get("dataset") or {}).get("procedural", "missing") for c in configs}
        parts.append(f"{dataset}: " + " / ".join(_source(dataset, c) for c in sorted(choices, key=str)))
    return "; ".join(parts) + "."


def _source(dataset: str, procedural: object) -> str:
    if procedural == "missing":
        return "not recorded in the runs' config"
    if dataset in _NO_RENDERER or procedural is False:
        return "the published file"
    rendered = {
        "shapes3d": "a procedural look-alike of the published factor grid (no shadows; scores not comparable "
        "with the real data set)",
    }.get(
        dataset,
        "procedurally rendered on the published factor grid and index order (not compared pixel for pixel "
        "with the published file)"
        + ("; the Scream texture as configured in docs/data.md" if dataset == "scream_dsprites" else ""),
    )
    if procedural is True:
        return rendered
    return (
        f"the published file if it was in the workers' data directory, else {rendered} (the store does "
        "not say which)"
    )


def _code(runs: pd.DataFrame) -> str:
    def values(column: str) -> str:
        return ", ".join(sorted(runs[column].astype(str).unique()))

    try:
        report = version("disentanglement-sweep")
    except PackageNotFoundError:
        report = "unknown"
    return (
        f"disentanglement-sweep {values('package_version')} (JAX {values('jax_version')}, scikit-learn "
        f"{values('sklearn_version')}) on {values('device')}; this report built by disentanglement-sweep "
        f"{report}"
    )
