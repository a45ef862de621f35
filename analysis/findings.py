"""The paper's five findings (F1-F5 of docs/replication.md) as numbers from one data set's runs in a store.

Each `f*` function returns a small frame whose rows the replication page quotes; `python -m
analysis.findings STORE [DATASET]` prints them all as Markdown, so every number on that page can be
regenerated from the committed tables. Rank correlations carry their n and a bootstrap interval
(`analysis.correlation.intervals`): a grid of a few dozen runs cannot support a bare point estimate.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.correlation import intervals, long_intervals
from analysis.figures import COLORS
from analysis.load import load_study
from analysis.markup import markdown_table
from analysis.quantities import DOWNSTREAM, METRICS, TC_MEAN, TC_SAMPLED, UNSUPERVISED, Quantity
from analysis.transfer import SETTINGS, score_tensor, success_draws
from analysis.variance import variance_explained

# Objectives whose strength weakens the regularization as it grows (AnnealedVAE's capacity c_max).
WEAKER_WITH_STRENGTH = ("annealed_vae",)
RANK = "regularization rank"


def regularization_rank(per_run: pd.DataFrame) -> pd.Series:
    """Dense rank of each run's regularization within its objective: 1 = weakest (c_max reversed)."""
    sign = np.where(per_run["objective"].isin(WEAKER_WITH_STRENGTH), -1.0, 1.0)
    signed = pd.Series(sign * per_run["strength"].to_numpy(float), index=per_run.index)
    return signed.groupby(per_run["objective"]).rank(method="dense")


def _correlations(
    per_run: pd.DataFrame, dataset: str, rows: Sequence[Quantity], columns: Sequence[Quantity]
) -> pd.DataFrame:
    """Spearman with n and bootstrap interval for each (row, column) pair over the data set's runs."""
    table = intervals(per_run, [dataset], rows, columns)
    return table.drop(columns="dataset")


def f1_total_correlation(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per objective: median Gaussian TC of the sampled and the mean codes at the weakest and the strongest
    regularization, and the rank correlation of each TC with the regularization rank over the objective's
    runs."""
    frame = per_run.assign(**{RANK: regularization_rank(per_run)})
    blocks = dict(tuple(frame.groupby("objective", sort=False)))
    rho = long_intervals(blocks, [RANK], [TC_SAMPLED.label, TC_MEAN.label]).set_index(["block", "against"])
    rows = []
    for objective, runs in blocks.items():
        weakest, strongest = runs[RANK].min(), runs[RANK].max()
        row: dict = {"objective": objective, "runs": len(runs)}
        for quantity, short in ((TC_SAMPLED, "sampled"), (TC_MEAN, "mean")):
            values = runs[quantity.label]
            row[f"{short} weakest"] = float(values[runs[RANK] == weakest].median())
            row[f"{short} strongest"] = float(values[runs[RANK] == strongest].median())
            found = (objective, quantity.label) in rho.index
            row[f"{short} rho"] = rho.loc[(objective, quantity.label), "spearman"] if found else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def f2_metric_agreement(per_run: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Rank correlation of every pair of the six metrics (mean representation), with interval and n."""
    return _correlations(per_run, dataset, METRICS, METRICS)


def replicated(per_run: pd.DataFrame) -> pd.DataFrame:
    """The runs of (objective, strength) settings trained with at least two seeds: the only ones that can
    separate the seed's share of a metric's variance from the setting's."""
    seeds = per_run.groupby(["objective", "strength"])["seed"].transform("nunique")
    return per_run[seeds >= 2].reset_index(drop=True)


def f3_variance(per_run: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Over the replicated settings: variance shares of objective, objective x strength and seed per metric,
    and in how many objectives the best seed at the worst strength (by median) beats the worst seed at the
    best strength."""
    runs = replicated(per_run)
    shares = variance_explained(runs, [dataset]).drop(columns="dataset")
    beats = []
    for metric in METRICS:
        count = total = 0
        for _, group in runs.groupby("objective", sort=False):
            medians = group.groupby("strength")[metric.label].median().dropna()
            if len(medians) < 2:
                continue
            best, worst = medians.idxmax(), medians.idxmin()
            good = group.loc[group["strength"] == best, metric.label]
            bad = group.loc[group["strength"] == worst, metric.label]
            total += 1
            count += int(bad.max() > good.min())
        beats.append(
            {"metric": metric.label, "good seed at worst strength beats bad seed at best": f"{count}/{total}"}
        )
    return shares.merge(pd.DataFrame(beats), on="metric", how="right")


def f4_model_selection(per_run: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Rank correlation of each unsupervised score with each metric (could one select by it?)."""
    return _correlations(per_run, dataset, UNSUPERVISED, METRICS)


def f4_transfer(per_run: pd.DataFrame, dataset: str, draws: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """The paper's Table 3 draws that one data set supports (same data set), with the paper's rates."""
    tensor = score_tensor(per_run, [dataset], METRICS)
    rng = np.random.default_rng(seed)
    rows = []
    for setting in (s for s in SETTINGS if s.same_dataset):
        outcome = success_draws(tensor, setting, draws, rng)
        rows.append(
            {
                "setting": setting.name,
                "success rate": float(outcome.mean()) if len(outcome) else float("nan"),
                "draws": len(outcome),
                "paper": setting.paper,
            }
        )
    return pd.DataFrame(rows)


def f5_downstream(per_run: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Rank correlation of each metric with downstream accuracy and sample efficiency (LR and GBT)."""
    present = [q for q in DOWNSTREAM if q.label in per_run and per_run[q.label].notna().any()]
    return _correlations(per_run, dataset, METRICS, present)


def _smoothed(ax, run: pd.DataFrame, term: str, smooth: int, **style) -> None:
    """One run's `term` against step, as a rolling median over `smooth` logged points."""
    run = run.sort_values("step")
    ax.plot(run["step"], run[term].rolling(smooth, min_periods=1).median(), lw=1, **style)


def curves_figure(curves: pd.DataFrame, twin: pd.DataFrame | None = None, smooth: int = 5) -> Figure:
    """Reconstruction and KL against step for every run (one panel column per objective, colour by strength),
    each a rolling median over `smooth` logged points; the PyTorch twin's beta-VAE curves (columns beta, seed,
    step, reconstruction, kl) dashed in black over the beta-VAE panels at equal steps."""
    objectives = list(dict.fromkeys(curves["objective"]))
    figure = Figure(figsize=(3.0 * len(objectives), 5.4), dpi=80, layout="constrained")
    axes = figure.subplots(2, len(objectives), squeeze=False, sharex=True)
    for column, objective in enumerate(objectives):
        runs = curves[curves["objective"] == objective]
        strengths = sorted(runs["strength"].unique())
        for term, ax in zip(("reconstruction", "kl"), axes[:, column], strict=True):
            for (strength, seed), run in runs.groupby(["strength", "seed"]):
                _smoothed(
                    ax,
                    run,
                    term,
                    smooth,
                    color=COLORS[strengths.index(strength) % len(COLORS)],
                    label=f"{strength:g}" if seed == runs["seed"].min() else None,
                )
            if objective == "beta_vae" and twin is not None:
                for (beta, _), run in twin.groupby(["beta", "seed"]):
                    _smoothed(
                        ax,
                        run,
                        term,
                        smooth,
                        ls="--",
                        color="black",
                        label="PyTorch twin" if beta == twin["beta"].min() else None,
                    )
            ax.set_ylabel(f"{term} (nats)")
            ax.set_xlabel("step")
            if term == "reconstruction":
                ax.set_title(objective)
                ax.set_yscale("log")
                ax.legend(
                    title=runs["strength_name"].iloc[0] if "strength_name" in runs else "strength",
                    fontsize=6,
                    title_fontsize=6,
                )
    figure.suptitle(
        f"Training curves of {curves['run_id'].nunique()} runs (rolling median of {smooth} points)"
    )
    return figure


def findings_markdown(store: str, dataset: str = "dsprites") -> str:
    """Every finding's table as Markdown, headed by the runs they were computed from."""
    study = load_study(store)
    per_run = study.per_run[study.per_run["dataset"] == dataset].reset_index(drop=True)
    steps = study.runs.loc[study.runs["status"] == "done", "steps"]
    parts = [
        f"{len(per_run)} done runs of {dataset} in {store} (steps {int(steps.min())}-{int(steps.max())}, "
        f"seeds {sorted(per_run['seed'].unique().tolist())}); notes: {'; '.join(study.notes) or 'none'}",
        "## F1 Gaussian total correlation against regularization\n"
        + markdown_table(f1_total_correlation(per_run)),
        "## F2 metric agreement (Spearman, 95% bootstrap interval)\n"
        + markdown_table(f2_metric_agreement(per_run, dataset)),
        f"## F3 variance explained, over the {len(replicated(per_run))} runs of settings with 2+ seeds\n"
        + markdown_table(f3_variance(per_run, dataset)),
        "## F4 unsupervised scores against metrics\n" + markdown_table(f4_model_selection(per_run, dataset)),
        "## F4 transfer (paper Table 3)\n" + markdown_table(f4_transfer(per_run, dataset)),
        "## F5 metrics against downstream\n" + markdown_table(f5_downstream(per_run, dataset)),
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.findings", description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a result store (e.g. results/replication_cpu/store)")
    parser.add_argument("dataset", nargs="?", default="dsprites")
    parser.add_argument("--curves-figure", type=Path, help="draw all training curves to this PNG")
    parser.add_argument("--twin", type=Path, help="PyTorch twin curves to overlay")
    args = parser.parse_args(argv)
    sys.stdout.write(findings_markdown(args.store, args.dataset))
    if args.curves_figure:
        study = load_study(args.store)
        names = study.runs[["run_id", "strength_name"]].astype({"strength_name": str})
        curves = study.curves[study.curves["dataset"] == args.dataset].merge(names, on="run_id")
        twin = pd.read_parquet(args.twin) if args.twin else None
        args.curves_figure.parent.mkdir(parents=True, exist_ok=True)
        curves_figure(curves, twin).savefig(args.curves_figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
