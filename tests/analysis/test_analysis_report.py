"""build_report: every table and figure from a synthetic store, captions that count runs, partial stores."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from analysis import build_report
from analysis.load import load_study
from analysis.report import FIGURES, TABLES, TRAVERSALS_SKIPPED
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from analysis.variance import variance_explained


def test_every_table_and_figure_is_written(report):
    assert report.not_computed == ()
    assert set(report.tables) == {item.name for item in TABLES}
    assert set(report.figures) == {item.name for item in FIGURES} | {"traversal_test"}
    for csv in report.tables.values():
        assert csv.stat().st_size > 0 and csv.with_suffix(".md").read_text().startswith("| ")
    for png in report.figures.values():
        with Image.open(png) as image:
            assert image.size[0] > 50 and len(np.unique(np.asarray(image.convert("L")))) > 2


def test_tables_hold_the_analysis_of_committed_done_runs(report, small_store):
    study = load_study(small_store.root)
    diverged = int((study.runs["status"] == "diverged").sum())
    assert diverged > 0 and report.runs_used == len(study.per_run) == 2 * 36 * 8 - diverged
    assert not study.per_run["run_id"].str.contains("lost").any()  # the interrupted job is ignored
    assert study.per_run["MIG"].max() < 10  # its scores (+100) never leak in
    written = pd.read_csv(report.tables["variance_explained"])
    expected = variance_explained(study.per_run, study.datasets)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


def test_html_is_self_contained_with_a_caption_per_item(report, small_store):
    page = report.html.read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(report.figures)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page and "<link" not in page
    done = report.runs_used
    captions = re.findall(r'<p class="caption">([^<]*)</p>', page)
    assert len(captions) == len(TABLES) + len(FIGURES) + 1
    assert sum(f"Uses {done} run(s) from 2 data set(s)" in c for c in captions) >= 6
    diverged = int((load_study(small_store.root).runs["status"] == "diverged").sum())
    assert f"excluded runs: {diverged} diverged" in page
    assert "ignored" in page and "interrupted jobs" in page


def test_partial_store_builds_what_it_can_and_lists_the_rest(tmp_path):
    spec = SyntheticSpec(
        datasets=("dsprites",),
        objectives=("beta_vae", "factor_vae"),
        seeds=4,
        curve_points=2,
        missing_metrics={"dsprites": ("sap_score", "downstream_gbt")},
    )
    store = write_synthetic_store(tmp_path / "store", spec)
    summary = build_report(store.root, tmp_path / "report")
    assert summary.not_computed == (
        "Metrics across data sets: needs the metrics on two or more data sets",
        "Sample efficiency against FactorVAE score: no committed done runs with all of FactorVAE, "
        "GBT efficiency",
        "Model selection, same metric, other data set: 0 draws (needs two or more data sets)",
        "Model selection, other metric, other data set: 0 draws (needs two or more data sets)",
        "Latent traversals: skipped, none of the 48 done run(s) has a checkpoint on disk; "
        + TRAVERSALS_SKIPPED,
    )
    transfer = pd.read_csv(summary.tables["transfer_experiment"])
    assert list(transfer["setting"]) == ["same metric, same data set", "other metric, same data set"]
    assert "variance_explained" in summary.tables and "scores_by_objective" in summary.figures
    page = summary.html.read_text()
    assert "Not computed" in page
    assert "study data set(s) without done runs: color_dsprites," in page and "cars3d" in page
    assert "dsprites: fewer than 3 run(s) with SAP" in page
    variance = pd.read_csv(summary.tables["variance_explained"])
    assert "SAP" not in set(variance["metric"]) and len(variance) == 5


def test_store_without_runs_still_gives_a_page(tmp_path):
    (tmp_path / "store").mkdir()
    summary = build_report(tmp_path / "store", tmp_path / "report")
    assert summary.tables == {} and summary.figures == {}
    assert len(summary.not_computed) == len(TABLES) + len(FIGURES) + 1  # + the traversals
    assert "Not computed" in summary.html.read_text()


def test_the_aggregator_never_imports_jax():
    code = (
        "import sys, analysis, analysis.__main__, analysis.synthetic\n"
        "heavy = ('jax', 'flax', 'models', 'sweep')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_command_line_prints_the_report_and_what_is_missing(tmp_path, capsys):
    from analysis.__main__ import main

    (tmp_path / "store").mkdir()
    assert main([str(tmp_path / "store"), str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"report: {tmp_path / 'out' / 'index.html'} (0 tables, 0 figures, 0 done runs)" in printed
    assert printed.count("not computed: ") == len(TABLES) + len(FIGURES) + 1
