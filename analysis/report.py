"""Build every table and figure the store allows, write them as CSV + Markdown and PNG, and one HTML page.

`build_report(store_root, out_dir)` is the single entry point (used by `python -m analysis` and
`python -m sweep report`). Each item's caption says which runs it used and what it lacks; an item the store
cannot support is listed under "Not computed" with the reason, and everything else is still produced.
"""

from __future__ import annotations

import html
import json
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
from analysis.provenance import provenance
from analysis.quantities import (
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

SMALL_N = 10  # a caption warns when a rank correlation rests on fewer pairs


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
    warnings: tuple[
        str, ...
    ] = ()  # the provenance banner: why these runs cannot support the paper's analyses


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
        return correlation.downstream_correlations(self.per_run, self.datasets, self.study.downstream)

    def counts(self, labels: Sequence[str]) -> dict[str, int]:
        """Done runs per data set with any of `labels`."""
        finite = np.isfinite(self.per_run[list(labels)].to_numpy(float)).any(axis=1)
        return {d: int(n) for d, n in self.per_run.loc[finite, "dataset"].value_counts().items()}

    def run_counts(self) -> pd.DataFrame:
        """Committed runs per (data set, objective) and status, in the study's order."""
        runs = self.study.runs.astype({"dataset": str, "objective": str})
        counts = runs.groupby(["dataset", "objective", "status"]).size().unstack("status", fill_value=0)
        counts = counts.reindex(columns=list(STATUSES), fill_value=0).reset_index()
        position = {name: i for order in (STUDY_DATASETS, STUDY_OBJECTIVES) for i, name in enumerate(order)}
        return counts.sort_values(
            ["dataset", "objective"], key=lambda c: c.map(position).fillna(len(position))
        )

    def variance(self) -> pd.DataFrame | str:
        table = variance_explained(self.per_run, self.datasets)
        if len(table) and table[["objective", "objective x strength"]].isna().all().all():
            return (
                "the fit is saturated: with one run per objective (here "
                f"{int(table['runs'].max())} run(s), {int(table['settings'].max())} setting(s) per data set) "
                "every share is 1 by construction and the seed's is 0; needs two or more seeds per setting"
            )
        return table

    def correlations(self, rows: Sequence, columns: Sequence) -> _Table | None:
        long = correlation.intervals(self.per_run, self.datasets, rows, columns)
        return _Table(long, correlation.display(long)) if len(long) else None

    def hyperparameter_transfer(self) -> _Table | None:
        long = correlation.dataset_intervals(self.per_run, self.datasets)
        return _Table(long, correlation.display(long)) if len(long) else None

    def transfer(self) -> pd.DataFrame | str:
        table = transfer_experiment(self.per_run, self.datasets)
        empty = table[table["draws"] == 0]
        if len(empty) == len(table):
            return f"0 draws in every setting ({_no_draws(self.study, 'same data set')})"
        for name in empty["setting"]:
            self.skipped.append(f"Model selection, {name}: 0 draws ({_no_draws(self.study, name)})")
        return table[table["draws"] > 0].reset_index(drop=True)

    @cached_property
    def skipped(self) -> list[str]:
        """Parts of an item that could not be computed (listed under "Not computed" with the reason)."""
        return []


def _no_draws(study: StudyData, setting: str) -> str:
    per = study.per_run
    seeded = per.groupby(["dataset", "objective", "strength"])["seed"].nunique()
    if (seeded >= 2).groupby(level="dataset").sum().max() < 2:
        return (
            "needs two or more (objective, strength) settings with two or more seeds each; here "
            f"{int((seeded >= 2).sum())} setting(s) have two seeds"
        )
    if "other data set" in setting and len(study.datasets) < 2:
        return "needs two or more data sets"
    return "too few runs with the metrics"


@dataclass(frozen=True)
class _Table:
    """A table whose CSV (`data`, full precision, long form) and page (`shown`, for reading) differ."""

    data: pd.DataFrame
    shown: pd.DataFrame


Labels = tuple[str, ...] | Callable[[StudyData], tuple[str, ...]]
Text = str | Callable[[StudyData], str]


@dataclass(frozen=True)
class _Item:
    name: str
    title: str
    description: Text
    labels: Labels  # quantities used; () = the runs table itself
    build: Callable[
        [_Analyses], pd.DataFrame | Figure | _Table | str | None
    ]  # None/empty/str: nothing to show
    needs_all: bool = False  # a run counts only if it has every label (else: any of them)
    requirement: str = "too few runs with these scores"  # why it is empty although runs have the scores
    interval: bool = False  # a rank-correlation table with n and bootstrap intervals

    def labels_of(self, study: StudyData) -> tuple[str, ...]:
        return self.labels(study) if callable(self.labels) else self.labels

    def description_of(self, study: StudyData) -> str:
        return self.description(study) if callable(self.description) else self.description


def _labels(*groups: Sequence) -> tuple[str, ...]:
    return tuple(q.label for group in groups for q in group)


def _downstream_labels(study: StudyData) -> tuple[str, ...]:
    return _labels(METRICS, study.downstream)


def _sizes_text(sizes: Sequence[int]) -> str:
    sizes = [f"{n:,}" for n in sizes]
    return sizes[0] if len(sizes) == 1 else ", ".join(sizes[:-1]) + f" and {sizes[-1]}"


def efficiency_sizes(study: StudyData) -> tuple[int, int] | None:
    """The (small, large) training-set sizes of the GBT sample efficiency as its score rows record them."""
    profile = study.profile
    if profile is None or profile.empty:
        return None
    rows = profile[profile["metric"].astype(str) == "downstream_gbt"]
    found = set()
    for text in rows["params_json"].unique():
        try:
            sizes = json.loads(text).get("efficiency_sizes")
        except (TypeError, ValueError, AttributeError):
            continue
        if sizes and len(sizes) == 2:
            found.add((int(sizes[0]), int(sizes[1])))
    return next(iter(found)) if len(found) == 1 else None


def _downstream_description(study: StudyData) -> str:
    sizes = study.downstream_sizes
    return (
        "Spearman rank correlation between the metrics and downstream accuracy of logistic regression (LR) "
        f"and gradient boosting (GBT) trained on {_sizes_text(sizes)} samples (the sizes this store holds), "
        "and their sample efficiency (paper Fig. 5)."
    )


def _efficiency_description(study: StudyData) -> str:
    sizes = efficiency_sizes(study)
    ratio = (
        f"GBT accuracy with {sizes[0]:,} samples divided by that with {sizes[1]:,}"
        if sizes
        else "GBT sample efficiency (the sizes are not recorded in the score rows)"
    )
    study_note = "" if sizes in (None, (100, 10000)) else " (the study: 100 and 10,000)"
    return f"{ratio}{study_note}, against the FactorVAE score (paper Fig. 6)."


_INTERVALS = (
    f"Each cell: Spearman's rho [{correlation.LEVEL:.0%} percentile bootstrap interval over the runs, "
    f"{correlation.N_BOOT} resamples]; n: the runs with both scores. The CSV has one row per pair."
)


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
        "objective, and on objective x strength; the rest is due to the seed (paper Sec. 4.2). A share is "
        "left out (—) where its fit is saturated (one run per group) or has fewer than two runs per setting "
        "on average; `note` says so. The adjusted shares (adjusted R²) are 0 in expectation when the groups "
        "explain nothing; with few seeds the plain shares are far above that.",
        _labels(METRICS),
        _Analyses.variance,
    ),
    _Item(
        "metric_correlation",
        "Rank correlation between metrics",
        "Spearman rank correlation between the disentanglement metrics over runs, per data set "
        "(paper Fig. 2). " + _INTERVALS,
        _labels(METRICS),
        lambda a: a.correlations(METRICS, METRICS),
        interval=True,
    ),
    _Item(
        "model_selection",
        "Unsupervised scores against metrics",
        "Spearman rank correlation between unsupervised scores (reconstruction, KL, ELBO, Gaussian TC of the "
        "sampled codes) and the metrics, per data set: can an unsupervised score select models? "
        + _INTERVALS,
        _labels(UNSUPERVISED, METRICS),
        lambda a: a.correlations(UNSUPERVISED, METRICS),
        interval=True,
    ),
    _Item(
        "hyperparameter_transfer",
        "Metrics across data sets",
        "Spearman rank correlation between data sets of each metric's median per (objective, strength): do "
        "good hyperparameters on one data set stay good on another? n: the settings both data sets have; "
        "intervals resample settings.",
        _labels(METRICS),
        _Analyses.hyperparameter_transfer,
        requirement="needs the metrics on two or more data sets",
        interval=True,
    ),
    _Item(
        "downstream_correlation",
        "Metrics against downstream performance",
        lambda study: _downstream_description(study) + " " + _INTERVALS,
        _downstream_labels,
        lambda a: a.correlations(METRICS, a.study.downstream),
        interval=True,
    ),
    _Item(
        "transfer_experiment",
        "Model selection across seeds, metrics and data sets",
        "Probability that the better of two random hyperparameter settings on a source (metric, data set) "
        "with one seed is also better on the target with another seed (paper Table 3; ties count half). "
        "Settings without a single draw are listed under Not computed.",
        _labels(METRICS),
        _Analyses.transfer,
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
        "The metric rank-correlation table as heat maps, one per data set (paper Fig. 2); the table above "
        "has each cell's n and interval.",
        _labels(METRICS),
        lambda a: figures.heatmaps(
            a.metric_correlations,
            "Spearman rank correlation between metrics",
            counts=a.counts(_labels(METRICS)),
            axis_labels=("metric", "metric"),
        ),
    ),
    _Item(
        "scores_by_objective",
        "Score distributions per objective",
        f"Violins of each metric per objective, over strengths and seeds (paper Fig. 3); "
        f"{figures.POINTS_NOTE}.",
        _labels(METRICS),
        lambda a: figures.scores_by_objective(a.study),
    ),
    _Item(
        "scores_by_strength",
        "FactorVAE score per strength",
        "Violins of the FactorVAE score per strength for each objective, over seeds (paper Fig. 4): the "
        f"spread within a strength is due to the seed alone; {figures.POINTS_NOTE}.",
        (FACTOR_VAE.label,),
        lambda a: figures.scores_by_strength(a.study),
    ),
    _Item(
        "downstream_correlation_heatmap",
        "Metrics against downstream performance (heat maps)",
        lambda study: (
            "The downstream rank-correlation table as heat maps, one per data set (paper Fig. 5), "
            f"at the training-set sizes this store holds ({_sizes_text(study.downstream_sizes)})."
        ),
        _downstream_labels,
        lambda a: figures.heatmaps(
            a.downstream_correlations,
            "Spearman: metrics against downstream",
            counts=a.counts(_labels(METRICS)),
            axis_labels=("downstream task (training-set size)", "metric"),
        ),
    ),
    _Item(
        "efficiency_vs_factor_vae",
        "Sample efficiency against FactorVAE score",
        _efficiency_description,
        (FACTOR_VAE.label, GBT_EFFICIENCY.label),
        lambda a: figures.efficiency_against_factor_vae(a.study, efficiency_sizes(a.study)),
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
TRAVERSALS_SKIPPED = (
    "this report was built from the Parquet store alone (latent traversals need the runs' final checkpoints: "
    "`python -m sweep report` and `python -m analysis` draw them where they are on disk)"
)


def checkpoints_on_disk(runs: pd.DataFrame) -> int:
    """How many done runs of a `runs` table have their checkpoint directory on this machine (none is read)."""
    done = runs[runs["status"] == "done"]
    return sum(Path(p).exists() for p in done["checkpoint_path"].dropna())


def _traversals_note(study: StudyData) -> str:
    done = int((study.runs["status"] == "done").sum())
    found = checkpoints_on_disk(study.runs)
    if found == 0:
        return f"none of the {done} done run(s) has a checkpoint on disk; {TRAVERSALS_SKIPPED}"
    return f"{found} of {done} done run(s) have checkpoints on disk but none was drawn; {TRAVERSALS_SKIPPED}"


def build_report(
    store_root: str | Path,
    out_dir: str | Path,
    extra_figures: Sequence[ReportFigure] = (),
    traversals_note: str | None = None,
) -> ReportSummary:
    """Write the study's tables (CSV + Markdown), figures (PNG) and `index.html` for the store at `store_root`
    into `out_dir`; `extra_figures` (e.g. latent traversals) are copied in and shown after the built ones.
    `traversals_note` says which latent traversals were skipped and why; without a figure named `traversal_*`
    "Not computed" says why there are none (that note, or how many runs have checkpoints on disk)."""
    study = load_study(store_root)
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    analyses = _Analyses(study)
    header = provenance(study)
    sections: list[Section] = []
    tables: dict[str, Path] = {}
    written: dict[str, Path] = {}
    not_computed: list[str] = []
    for item in (*TABLES, *FIGURES):
        used = _runs_used(study, item)
        result = item.build(analyses) if used else None
        if isinstance(result, str) or result is None or (isinstance(result, pd.DataFrame) and result.empty):
            reason = result if isinstance(result, str) else item.requirement
            not_computed.append(
                f"{item.title}: {reason if used else 'no committed done runs with ' + _needs(item, study)}"
            )
            continue
        if isinstance(result, _Table | pd.DataFrame):
            data, shown = (result.data, result.shown) if isinstance(result, _Table) else (result, result)
            tables[item.name] = _write_table(data, out / "tables" / item.name)
            body = html_table(shown)
        else:
            written[item.name] = out / "figures" / f"{item.name}.png"
            result.savefig(written[item.name])
            body = inline_image(written[item.name], item.title)
        sections.append(Section(item.name, item.title, _caption(study, item, used, result), body))
    not_computed += analyses.skipped
    for extra in extra_figures:
        target = out / "figures" / f"{extra.name}.png"
        if Path(extra.path).resolve() != target.resolve():
            shutil.copyfile(extra.path, target)
        written[extra.name] = target
        sections.append(Section(extra.name, extra.title, extra.caption, inline_image(target, extra.title)))
    if not any(extra.name.startswith("traversal") for extra in extra_figures):
        not_computed.append(f"Latent traversals: skipped, {traversals_note or _traversals_note(study)}")
    elif traversals_note:
        not_computed.append(f"Latent traversals of some runs: skipped, {traversals_note}")
    if not_computed:
        listing = "".join(f"<li>{html.escape(line)}</li>" for line in not_computed)
        sections.append(
            Section(
                "not_computed",
                "Not computed",
                "Items, or parts of items, this store cannot support, with the reason.",
                f"<ul>{listing}</ul>",
            )
        )
    page = out / "index.html"
    page.write_text(
        html_page("Disentanglement study report", _preamble(study), sections, header.html()), encoding="utf-8"
    )
    return ReportSummary(out, page, tables, written, tuple(not_computed), len(study.per_run), header.warnings)


def _runs_used(study: StudyData, item: _Item) -> int:
    if item.name == _CURVES:
        return int(study.curves["run_id"].nunique())
    labels = item.labels_of(study)
    if not labels:
        return len(study.runs)
    finite = np.isfinite(study.per_run[list(labels)].to_numpy(float))
    return int((finite.all(axis=1) if item.needs_all else finite.any(axis=1)).sum())


def _needs(item: _Item, study: StudyData) -> str:
    if item.name == _CURVES:
        return "training curves"
    labels = item.labels_of(study)
    if not labels:
        return "a runs table"
    return ("all of " if item.needs_all and len(labels) > 1 else "") + ", ".join(labels)


def _caption(study: StudyData, item: _Item, used: int, result: object = None) -> str:
    labels = item.labels_of(study)
    datasets = study.datasets if labels else study_order(study.runs["dataset"], STUDY_DATASETS)
    gaps = study.missing(labels, min_runs=correlation.MIN_PAIRS) if labels else []
    missing = "; ".join(gaps) if gaps else "nothing"
    caption = (
        f"{item.description_of(study)} Uses {used} run(s) from {len(datasets)} data set(s) "
        f"({', '.join(datasets)}). "
        f"Missing: {missing}."
    )
    if item.interval and isinstance(result, _Table) and len(result.data):
        smallest = int(result.data["n"].min())
        caption += f" n = {smallest}" + (
            f"-{int(result.data['n'].max())}" if result.data["n"].max() != smallest else ""
        )
        if smallest < SMALL_N:
            caption += (
                f"; with fewer than {SMALL_N} pairs a rank correlation is mostly noise (see how wide the "
                "intervals are) and ties are frequent"
            )
        caption += "."
    return caption


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
