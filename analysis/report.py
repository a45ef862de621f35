"""Build every table and figure the store allows, write them as CSV + Markdown and PNG, and one HTML page.

`build_report(store_root, out_dir)` is the single entry point (used by `python -m analysis` and
`python -m sweep report`). Each item's caption says which runs it used and what it lacks; an item the store
cannot support is listed under "Not computed" with the reason, and everything else is still produced.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import correlation, figures
from analysis.load import StudyData, load_study, study_order
from analysis.markup import Section, html_page, html_table, inline_image, markdown_table
from analysis.quantities import (
    DOWNSTREAM,
    FACTOR_VAE,
    GBT_EFFICIENCY,
    METRICS,
    STUDY_DATASETS,
    STUDY_OBJECTIVES,
    TC_MEAN,
    TC_SAMPLED,
    UNSUPERVISED,
)
from analysis.transfer import transfer_experiment
from analysis.variance import variance_explained
from results_schema import STATUSES


@dataclass(frozen=True)
class ReportFigure:
    """A figure to include in the report: a PNG file, its title and caption (e.g. latent traversals)."""

    name: str
    title: str
    path: Path
    caption: str


@dataclass(frozen=True)
class ReportSummary:
    """What `build_report` wrote: the HTML page, each table's CSV and figure's PNG, and what it could not."""

    out_dir: Path
    html: Path
    tables: dict[str, Path]
    figures: dict[str, Path]
    not_computed: tuple[str, ...]
    runs_used: int


class _Analyses:
    """The store's data and each analysis computed once, shared by the tables and figures that show it."""

    def __init__(self, study: StudyData) -> None:
        self.study = study
        self.per_run, self.datasets = study.per_run, study.datasets

    @cached_property
    def metric_correlations(self) -> pd.DataFrame:
        return correlation.metric_correlations(self.per_run, self.datasets)

    @cached_property
    def downstream_correlations(self) -> pd.DataFrame:
        return correlation.downstream_correlations(self.per_run, self.datasets)

    def run_counts(self) -> pd.DataFrame:
        """Committed runs per (data set, objective) and status, in the study's order."""
        runs = self.study.runs.astype({"dataset": str, "objective": str})
        counts = runs.groupby(["dataset", "objective", "status"]).size().unstack("status", fill_value=0)
        counts = counts.reindex(columns=list(STATUSES), fill_value=0).reset_index()
        position = {name: i for order in (STUDY_DATASETS, STUDY_OBJECTIVES) for i, name in enumerate(order)}
        return counts.sort_values(
            ["dataset", "objective"], key=lambda c: c.map(position).fillna(len(position))
        )


@dataclass(frozen=True)
class _Item:
    name: str
    title: str
    description: str
    labels: tuple[str, ...]  # quantities used; () = the runs table itself
    build: Callable[[_Analyses], pd.DataFrame | Figure | None]  # None or empty: nothing to show
    needs_all: bool = False  # a run counts only if it has every label (else: any of them)
    requirement: str = "too few runs with these scores"  # why it is empty although runs have the scores


def _labels(*groups: Sequence) -> tuple[str, ...]:
    return tuple(q.label for group in groups for q in group)


TABLES = (
    _Item(
        "run_counts",
        "Runs in the store",
        "Committed runs per data set, objective and status.",
        (),
        _Analyses.run_counts,
    ),
    _Item(
        "variance_explained",
        "Variance explained by objective and strength",
        "Share of each metric's variance (mean representation) explained by a one-hot regression on the "
        "objective, and on objective x strength; the rest is due to the seed (paper Sec. 4.2).",
        _labels(METRICS),
        lambda a: variance_explained(a.per_run, a.datasets),
    ),
    _Item(
        "metric_correlation",
        "Rank correlation between metrics",
        "Spearman rank correlation between the disentanglement metrics over runs, per data set "
        "(paper Fig. 2).",
        _labels(METRICS),
        lambda a: a.metric_correlations.reset_index(),
    ),
    _Item(
        "model_selection",
        "Unsupervised scores against metrics",
        "Spearman rank correlation between unsupervised scores (reconstruction, KL, ELBO, Gaussian TC of the "
        "sampled codes) and the metrics, per data set: can an unsupervised score select models?",
        _labels(UNSUPERVISED, METRICS),
        lambda a: correlation.selection_correlations(a.per_run, a.datasets).reset_index(),
    ),
    _Item(
        "hyperparameter_transfer",
        "Metrics across data sets",
        "Spearman rank correlation between data sets of each metric's median per (objective, strength): do "
        "good hyperparameters on one data set stay good on another?",
        _labels(METRICS),
        lambda a: correlation.dataset_correlations(a.per_run, a.datasets).reset_index(),
        requirement="needs the metrics on two or more data sets",
    ),
    _Item(
        "downstream_correlation",
        "Metrics against downstream performance",
        "Spearman rank correlation between the metrics and downstream accuracy of logistic regression (LR) "
        "and gradient boosting (GBT) trained on 10 to 10,000 samples, and their sample efficiency "
        "(paper Fig. 5).",
        _labels(METRICS, DOWNSTREAM),
        lambda a: a.downstream_correlations.reset_index(),
    ),
    _Item(
        "transfer_experiment",
        "Model selection across seeds, metrics and data sets",
        "Probability that the better of two random hyperparameter settings on a source (metric, data set) "
        "with one seed is also better on the target with another seed (paper Table 3; ties count half).",
        _labels(METRICS),
        lambda a: transfer_experiment(a.per_run, a.datasets),
    ),
)

FIGURES = (
    _Item(
        "total_correlation",
        "Total correlation against strength",
        "Gaussian total correlation of the sampled (top) and mean (bottom) representation against the "
        "regularization strength; median over seeds with the interquartile band (paper Fig. 1).",
        _labels((TC_SAMPLED, TC_MEAN)),
        lambda a: figures.total_correlation(a.study),
    ),
    _Item(
        "metric_correlation_heatmap",
        "Rank correlation between metrics (heat maps)",
        "The metric rank-correlation table as heat maps, one per data set (paper Fig. 2).",
        _labels(METRICS),
        lambda a: figures.heatmaps(a.metric_correlations, "Spearman rank correlation between metrics"),
    ),
    _Item(
        "scores_by_objective",
        "Score distributions per objective",
        "Violins of each metric per objective, over strengths and seeds (paper Fig. 3).",
        _labels(METRICS),
        lambda a: figures.scores_by_objective(a.study),
    ),
    _Item(
        "scores_by_strength",
        "FactorVAE score per strength",
        "Violins of the FactorVAE score per strength for each objective, over seeds (paper Fig. 4): the "
        "spread within a strength is due to the seed alone.",
        (FACTOR_VAE.label,),
        lambda a: figures.scores_by_strength(a.study),
    ),
    _Item(
        "downstream_correlation_heatmap",
        "Metrics against downstream performance (heat maps)",
        "The downstream rank-correlation table as heat maps, one per data set (paper Fig. 5).",
        _labels(METRICS, DOWNSTREAM),
        lambda a: figures.heatmaps(a.downstream_correlations, "Spearman: metrics against downstream"),
    ),
    _Item(
        "efficiency_vs_factor_vae",
        "Sample efficiency against FactorVAE score",
        "GBT accuracy with 100 samples divided by that with 10,000, against the FactorVAE score "
        "(paper Fig. 6).",
        (FACTOR_VAE.label, GBT_EFFICIENCY.label),
        lambda a: figures.efficiency_against_factor_vae(a.study),
        needs_all=True,
    ),
    _Item(
        "training_curves",
        "Training curves",
        "Median training loss against step per objective.",
        (),
        lambda a: figures.training_curves(a.study),
    ),
)
_CURVES = "training_curves"


def build_report(
    store_root: str | Path, out_dir: str | Path, extra_figures: Sequence[ReportFigure] = ()
) -> ReportSummary:
    """Write the study's tables (CSV + Markdown), figures (PNG) and `index.html` for the store at `store_root`
    into `out_dir`; `extra_figures` (e.g. latent traversals) are copied in and shown after the built ones."""
    study = load_study(store_root)
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    analyses = _Analyses(study)
    sections: list[Section] = []
    tables: dict[str, Path] = {}
    written: dict[str, Path] = {}
    not_computed: list[str] = []
    for item in (*TABLES, *FIGURES):
        used = _runs_used(study, item)
        result = item.build(analyses) if used else None
        if result is None or (isinstance(result, pd.DataFrame) and result.empty):
            reason = item.requirement if used else f"no committed done runs with {_needs(item)}"
            not_computed.append(f"{item.title}: {reason}")
            continue
        if isinstance(result, pd.DataFrame):
            tables[item.name] = _write_table(result, out / "tables" / item.name)
            body = html_table(result)
        else:
            written[item.name] = out / "figures" / f"{item.name}.png"
            result.savefig(written[item.name])
            body = inline_image(written[item.name], item.title)
        sections.append(Section(item.name, item.title, _caption(study, item, used), body))
    for extra in extra_figures:
        target = out / "figures" / f"{extra.name}.png"
        if Path(extra.path).resolve() != target.resolve():
            shutil.copyfile(extra.path, target)
        written[extra.name] = target
        sections.append(Section(extra.name, extra.title, extra.caption, inline_image(target, extra.title)))
    if not_computed:
        listing = "".join(f"<li>{html.escape(line)}</li>" for line in not_computed)
        sections.append(
            Section(
                "not_computed", "Not computed", "Items this store cannot support yet.", f"<ul>{listing}</ul>"
            )
        )
    page = out / "index.html"
    page.write_text(html_page("Disentanglement study report", _preamble(study), sections), encoding="utf-8")
    return ReportSummary(out, page, tables, written, tuple(not_computed), len(study.per_run))


def _runs_used(study: StudyData, item: _Item) -> int:
    if item.name == _CURVES:
        return int(study.curves["run_id"].nunique())
    if not item.labels:
        return len(study.runs)
    finite = np.isfinite(study.per_run[list(item.labels)].to_numpy(float))
    return int((finite.all(axis=1) if item.needs_all else finite.any(axis=1)).sum())


def _needs(item: _Item) -> str:
    if item.name == _CURVES:
        return "training curves"
    if not item.labels:
        return "a runs table"
    return ("all of " if item.needs_all and len(item.labels) > 1 else "") + ", ".join(item.labels)


def _caption(study: StudyData, item: _Item, used: int) -> str:
    datasets = study.datasets if item.labels else study_order(study.runs["dataset"], STUDY_DATASETS)
    gaps = study.missing(item.labels, min_runs=correlation.MIN_PAIRS) if item.labels else []
    missing = "; ".join(gaps) if gaps else "nothing"
    return (
        f"{item.description} Uses {used} run(s) from {len(datasets)} data set(s) "
        f"({', '.join(datasets)}). "
        f"Missing: {missing}."
    )


def _write_table(frame: pd.DataFrame, stem: Path) -> Path:
    csv = stem.with_suffix(".csv")
    frame.to_csv(csv, index=False)
    stem.with_suffix(".md").write_text(markdown_table(frame), encoding="utf-8")
    return csv


def _preamble(study: StudyData) -> list[str]:
    status = study.runs["status"].value_counts()
    counts = ", ".join(f"{n} {s}" for s, n in status.items()) or "no runs"
    lines = [
        f"Store: {study.store_root.resolve()}. Committed runs: {counts}. Scores are analysed for the "
        f"{len(study.per_run)} done run(s), on the mean representation unless a label says sampled."
    ]
    return lines + [f"Note: {note}." for note in study.notes]
