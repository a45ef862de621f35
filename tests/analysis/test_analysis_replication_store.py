"""The committed replication store (results/replication_cpu/): it stays readable, its report builds, and the
findings quoted in docs/replication.md are the ones its tables give. Also the findings' small helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.figures import texts_outside
from analysis.findings import (
    curves_figure,
    f3_variance,
    findings_markdown,
    regularization_rank,
)
from analysis.load import load_study
from analysis.report import build_report
from sweep.grid import expand_grid

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "results" / "replication_cpu" / "store"
DOC = ROOT / "docs" / "replication.md"
GENERATED = re.compile(r"<!-- findings:start -->\n(.*)<!-- findings:end -->", re.S)


def test_committed_store_holds_learned_runs_of_the_grid_that_a_rerun_resumes():
    study = load_study(STORE)
    assert set(study.runs["status"]) == {"done"}
    # train.steps=3000; FactorVAE's global step also counts its discriminator's updates (disentanglement_lib)
    steps = study.runs.groupby("objective")["steps"].unique().map(list).to_dict()
    assert steps == {objective: [1500 if objective == "factor_vae" else 3000] for objective in steps}
    assert set(study.per_run["objective"]) == {
        "beta_vae",
        "factor_vae",
        "dip_vae_i",
        "dip_vae_ii",
        "beta_tc_vae",
        "annealed_vae",
    }
    assert study.per_run["FactorVAE"].notna().all() and study.per_run["TC (sampled)"].notna().all()
    # the runs keep their ids: copying this store to <out>/store and rerunning the grid trains only the rest
    _, grid = expand_grid(["sweep=replication_cpu"])
    assert set(study.runs["run_id"]) <= {run.run_id for run in grid}


def test_report_builds_from_the_committed_store(tmp_path):
    summary = build_report(STORE, tmp_path / "report")
    assert summary.runs_used == len(load_study(STORE).runs)
    assert summary.html.exists() and summary.figures


def test_doc_quotes_the_findings_of_the_committed_tables(monkeypatch):
    monkeypatch.chdir(ROOT)  # the block names the store by its path in the repository
    generated = GENERATED.search(DOC.read_text())
    assert generated, "docs/replication.md lacks the generated findings block"
    assert generated.group(1) == findings_markdown("results/replication_cpu/store")


def test_regularization_rank_reverses_annealed_capacity():
    frame = pd.DataFrame(
        {"objective": ["beta_vae"] * 3 + ["annealed_vae"] * 3, "strength": [1.0, 4.0, 16.0, 5.0, 25.0, 100.0]}
    )
    assert regularization_rank(frame).tolist() == [1, 2, 3, 3, 2, 1]


@pytest.mark.parametrize(("bad_best_seed", "expected"), [(0.9, "1/1"), (0.1, "0/1")])
def test_f3_counts_a_good_seed_at_a_bad_strength(bad_best_seed, expected):
    labels = ["BetaVAE", "FactorVAE", "MIG", "DCI Disentanglement", "Modularity", "SAP"]
    # strength 4 is better by median (0.6 against 0.3); its worst seed scores 0.5
    values = {"BetaVAE": [0.5, 0.7, 0.1, bad_best_seed]}
    frame = pd.DataFrame(
        {
            "dataset": "dsprites",
            "objective": "beta_vae",
            "strength": [4.0, 4.0, 1.0, 1.0],
            "seed": [0, 1, 0, 1],
            **{label: values.get(label, [0.1, 0.2, 0.3, 0.4]) for label in labels},
        }
    )
    row = f3_variance(frame, "dsprites").set_index("metric").loc["BetaVAE"]
    assert row["good seed at worst strength beats bad seed at best"] == expected


def test_curves_figure_overlays_the_twin_and_clips_nothing():
    steps = list(range(50, 1001, 50))
    curves = pd.DataFrame(
        [
            {
                "run_id": f"{o}{s}",
                "objective": o,
                "strength": s,
                "seed": 0,
                "step": t,
                "strength_name": "beta",
                "reconstruction": 500.0 / t * s,
                "kl": s * t / 1000,
            }
            for o in ("beta_vae", "factor_vae")
            for s in (1.0, 4.0)
            for t in steps
        ]
    )
    twin = pd.DataFrame(
        [{"beta": 4.0, "seed": 0, "step": t, "reconstruction": 2000.0 / t, "kl": 4 * t / 1000} for t in steps]
    )
    figure = curves_figure(curves, twin)
    assert texts_outside(figure) == []
    beta_axes = figure.axes[0]
    assert "PyTorch twin" in [line.get_label() for line in beta_axes.get_lines()]
    assert len(beta_axes.get_lines()) == 3 and len(figure.axes[1].get_lines()) == 2
