"""Issue 20: the report says what it was built from, refuses what the store cannot support, follows the sizes
the store holds, and draws figures whose every text lies inside the canvas with every axis labelled."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from analysis.figures import texts_outside
from analysis.load import load_study
from analysis.provenance import provenance
from analysis.report import FIGURES, _Analyses
from analysis.synthetic import SyntheticSpec, write_synthetic_store


def _page(report) -> str:
    return report.html.read_text()


def test_header_states_grid_steps_profile_backend_data_and_code(smoke_report):
    page = _page(smoke_report)
    header = page.split('<section id="provenance">')[1].split("</section>")[0]
    for fact in (
        "dsprites: 6 objective(s) x 1 strength(s) x 1 seed(s), 6 committed run(s), 6 done",
        "200 per run (the study: 300,000",
        "lightgbm: the fast approximate backend",
        "dsprites: procedurally rendered on the published factor grid",
        "disentanglement-sweep synthetic",
        "train sizes [10, 100, 300]; efficiency [100, 300]",
        "every metric on the mean and on the sampled representation",
    ):
        assert fact in header, fact
    banner = html.unescape(re.search(r'<div class="banner" id="banner">(.*?)</div>', header).group(1))
    assert "Runs trained for 200 steps, 0.067% of the study" in banner
    assert "1 seed(s) per (objective, strength) setting" in banner
    assert "One strength per objective" in banner
    assert "Metric sizes below the study's for BetaVAE score, FactorVAE score" in banner
    assert set(smoke_report.warnings) >= {w for w in smoke_report.warnings if "Synthetic" in w}


def test_a_study_sized_store_has_no_banner_but_the_synthetic_one(tmp_path):
    spec = SyntheticSpec(
        datasets=("cars3d",), objectives=("beta_vae", "factor_vae"), seeds=6, steps=300_000, curve_points=1
    )
    store = write_synthetic_store(tmp_path / "store", spec)
    header = provenance(load_study(store.root))
    assert header.warnings == (
        "Synthetic store: every score was generated with planted structure, nothing was trained.",
    )
    facts = dict(header.facts)
    assert facts["Data"] == "cars3d: the published file."
    assert facts["GBT backend"].startswith("sklearn: scikit-learn's GradientBoostingClassifier")


def test_sampled_scores_for_a_subset_of_metrics_are_stated(tmp_path):
    spec = SyntheticSpec(
        datasets=("dsprites",), seeds=2, curve_points=1, sampled_metrics=("unsupervised",), procedural=None
    )
    store = write_synthetic_store(tmp_path / "store", spec)
    study = load_study(store.root)
    facts = dict(provenance(study).facts)
    assert "on the sampled representation only Unsupervised (TC, WC, MI)" in facts["Representations"]
    assert "the published file if it was in the workers' data directory, else procedurally" in facts["Data"]
    assert study.per_run["TC (sampled)"].notna().all()


def test_what_the_store_cannot_support_is_refused_with_the_reason(smoke_report):
    lines = "\n".join(smoke_report.not_computed)
    assert "Variance explained by objective and strength: the fit is saturated" in lines
    assert "Model selection across seeds, metrics and data sets: 0 draws in every setting" in lines
    assert "Latent traversals: skipped, none of the 6 done run(s) has a checkpoint on disk" in lines
    assert (
        "variance_explained" not in smoke_report.tables and "transfer_experiment" not in smoke_report.tables
    )
    page = _page(smoke_report)
    assert "n = 6; with fewer than 10 pairs a rank correlation is mostly noise" in page


def test_downstream_items_follow_the_sizes_the_store_holds(smoke_report):
    shown = [f"{m} {n}" for m in ("LR", "GBT") for n in (10, 100, 300)]
    long = pd.read_csv(smoke_report.tables["downstream_correlation"])
    assert set(long["against"]) <= {*shown, "LR efficiency", "GBT efficiency"}
    assert {"LR 300", "GBT 300"} <= set(long["against"])
    page = _page(smoke_report)
    assert "trained on 10, 100 and 300 samples" in page
    assert "LR 1000" not in page and "GBT 10000" not in page
    assert "GBT accuracy with 100 samples divided by that with 300 (the study: 100 and 10,000)" in page


def test_correlation_tables_carry_n_and_intervals(report):
    long = pd.read_csv(report.tables["metric_correlation"])
    assert list(long.columns) == ["dataset", "quantity", "against", "n", "spearman", "ci_low", "ci_high"]
    assert (long["ci_low"] <= long["spearman"]).all() and (long["spearman"] <= long["ci_high"]).all()
    assert len(long) == 2 * 15  # each pair of the six metrics once per data set
    page = _page(report)
    assert re.search(r"<td class=text>-?\d\.\d\d \[-?\d\.\d\d, -?\d\.\d\d\]</td>", page)


@pytest.mark.parametrize("store_name", ["small_store", "smoke_store"])
def test_every_figure_fits_its_canvas_and_labels_its_axes(store_name, request):
    study = load_study(request.getfixturevalue(store_name).root)
    analyses = _Analyses(study)
    for item in FIGURES:
        figure = item.build(analyses)
        assert texts_outside(figure) == [], item.name
        for ax in figure.axes:
            if not ax.get_visible():
                continue
            assert ax.get_ylabel(), (item.name, ax.get_title())
            siblings = ax.get_shared_x_axes().get_siblings(ax)
            assert any(s.get_xlabel() for s in siblings) or ax.get_label() == "<colorbar>", (
                item.name,
                ax.get_title(),
            )


def test_small_groups_are_points_with_a_note(smoke_store):
    figure = FIGURES[2].build(_Analyses(load_study(smoke_store.root)))
    assert "groups of fewer than 5 runs drawn as points" in figure.get_suptitle()
    assert not any(c.__class__.__name__ == "PolyCollection" for ax in figure.axes for c in ax.collections)


def test_the_banner_compares_with_the_sizes_each_metric_registered():
    """analysis may not import evaluation, so it copies the study's sizes: they must equal the registry's."""
    from analysis.quantities import STUDY_SIZES
    from evaluation import MetricsConfig

    registered = MetricsConfig.study().to_dict()
    for metric, sizes in STUDY_SIZES.items():
        if metric == "model":
            continue
        field = "downstream" if metric.startswith("downstream") else metric
        assert {k: registered[field][k] for k in sizes} == sizes, metric
