"""sweep/traversals.py: the runs picked (asked for, best and worst FactorVAE score), tiles that are the
decoder means of the traversed codes, rows sorted and labelled by KL, reports with and without checkpoints."""

from __future__ import annotations

import jax
import numpy as np
import pyarrow as pa
import pytest

from analysis import build_report
from analysis.__main__ import main as analysis_main
from analysis.figures import texts_outside
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from models import TrainConfig
from models.checkpoint import export_final, run_dir
from models.network import VAE
from results_schema import read_table, write_table
from sweep import traversals
from sweep.traversals import (
    decode,
    draw,
    encode,
    latent_kl,
    picked_runs,
    tile_box,
    traversal_report,
    traverse,
)

LATENTS = 10
VALUES = (-2.0, 0.0, 2.0)


def _params(seed: int) -> dict:
    """Random parameters in the networks' exact layout (shapes by abstract evaluation: no slow init)."""
    vae = VAE.from_config(TrainConfig(num_latents=LATENTS), (64, 64, 3))
    shapes = jax.eval_shape(lambda key: vae.init(key, discriminator=False)[0], jax.random.PRNGKey(0))
    rng = np.random.default_rng(seed)
    params = jax.tree.map(lambda s: (0.05 * rng.standard_normal(s.shape)).astype(np.float32), shapes)
    # Latents with clearly different posteriors: a wide spread of log-variance biases orders the KL.
    params["encoder"]["log_var"]["bias"] = np.linspace(-3.0, 0.0, LATENTS).astype(np.float32)
    return params


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory):
    """A sweep output directory whose runs all name a checkpoint directory; final exports exist for the best
    run by FactorVAE score (recording its image shape) and for one other run (asked for by id; an export from
    before the shape was recorded), not for the worst run."""
    out = tmp_path_factory.mktemp("sweep_out")
    spec = SyntheticSpec(datasets=("cars3d",), objectives=("beta_vae", "factor_vae"), seeds=2, curve_points=1)
    write_synthetic_store(out / "store", spec)
    factor = read_table(out / "store", "scores", {"metric": "factor_vae_score", "score": "eval_accuracy"})
    ranked = factor.to_pandas().query("representation == 'mean'").sort_values("value", ascending=False)
    best, other, worst = ranked["run_id"].iloc[0], ranked["run_id"].iloc[3], ranked["run_id"].iloc[-1]
    for objective in spec.objectives:
        runs = read_table(out / "store", "runs", {"objective": objective})
        paths = [str(out / "checkpoints" / r) for r in runs["run_id"].to_pylist()]
        runs = runs.set_column(
            runs.schema.get_field_index("checkpoint_path"), "checkpoint_path", pa.array(paths, pa.string())
        )
        write_table(
            out / "store", "runs", runs, dataset="cars3d", objective=objective, job_id=f"cars3d-{objective}-0"
        )
    params = {best: _params(1), other: _params(2)}
    shaped = {"status": "done", "observation_shape": [64, 64, 3]}
    export_final(run_dir(out / "checkpoints", best), params[best], shaped)
    export_final(run_dir(out / "checkpoints", other), params[other], {"status": "done"})
    return out, {"best": best, "other": other, "worst": worst}, params


def test_picks_are_the_runs_asked_for_then_best_and_worst_factor_vae(sweep_out):
    out, ids, _ = sweep_out
    picks = picked_runs(out / "store", [ids["other"]])
    assert list(picks["run_id"]) == [ids["other"], ids["best"], ids["worst"]]
    assert picks["why"].iloc[0] == "asked for"
    assert picks["why"].iloc[1].startswith("best FactorVAE score of cars3d")
    assert picks["why"].iloc[2].startswith("worst FactorVAE score of cars3d")


def test_runs_without_a_checkpoint_or_an_image_shape_are_skipped_and_said_so(sweep_out, tmp_path):
    out, ids, _ = sweep_out
    figures, note = traversal_report(out, run_ids=[ids["other"], "nope"], data_dir=tmp_path, values=VALUES)
    assert [f.name for f in figures] == [f"traversal_{ids['best']}"]  # cars3d is not available here
    assert "best FactorVAE" in figures[0].title and "prior mean" in figures[0].caption
    assert "nope" in note and f"no final checkpoint on disk for 1 picked run(s): {ids['worst']}" in note
    unshaped = "neither the data set nor the image shape (exports before it was recorded) for 1 picked run(s)"
    assert f"{unshaped}: {ids['other']}" in note


def test_tiles_rows_and_labels(sweep_out):
    _, ids, params = sweep_out
    run = params[ids["best"]]
    observations = np.random.default_rng(0).uniform(size=(32, 64, 64, 3)).astype(np.float32)
    traversal = traverse(run, observations, VALUES, channels=3)
    mean, log_var = encode(run, observations)
    kl = latent_kl(mean, log_var)
    np.testing.assert_allclose(traversal.kl, kl, rtol=1e-5)
    assert list(traversal.order) == list(np.argsort(-kl, kind="stable"))
    assert np.all(np.diff(kl[traversal.order]) <= 0)
    image = traversal.image
    assert image.shape[:2] == (tile_box(LATENTS - 1, 0)[0].stop, tile_box(0, 2 + len(VALUES))[1].stop)
    np.testing.assert_allclose(image[tile_box(0, 0)], observations[0])  # the input
    np.testing.assert_allclose(
        image[tile_box(0, 1)], decode(run, mean[:1], channels=3)[0], atol=1e-6
    )  # its reconstruction
    for row in (0, LATENTS - 1):
        latent = traversal.order[row]
        code = mean[:1].repeat(len(VALUES), 0)
        code[:, latent] = VALUES
        expected = decode(run, code, channels=3)
        for column in range(len(VALUES)):
            np.testing.assert_allclose(image[tile_box(row, 3 + column)], expected[column], atol=1e-6)
    figure = draw(traversal, VALUES, "a title")
    assert texts_outside(figure) == []
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[0] == f"z{traversal.order[0]}  KL {kl[traversal.order[0]]:.2f}" + (
        "" if traversal.active[traversal.order[0]] else " (inactive)"
    )
    headings = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert headings[:2] == ["input", "recon."] and headings[3:] == ["-2.0", "+0.0", "+2.0"]


def test_reports_with_and_without_checkpoints(sweep_out, tmp_path, monkeypatch, capsys):
    out, ids, _ = sweep_out
    observations = np.random.default_rng(1).uniform(size=(16, 64, 64, 3)).astype(np.float32)
    monkeypatch.setattr(
        traversals, "_observations", lambda run, data_dir, seed: (observations, "test images")
    )
    monkeypatch.setattr(traversals, "DEFAULT_VALUES", VALUES)
    store = str(out / "store")
    assert analysis_main([store, str(tmp_path / "drawn"), "--traversal", ids["other"]]) == 0
    page = (tmp_path / "drawn" / "index.html").read_text()
    assert page.count('<h2 id="traversal_') == 2 and "KL from the prior" in page
    assert f"no final checkpoint on disk for 1 picked run(s): {ids['worst']}" in page
    assert analysis_main([store, str(tmp_path / "plain"), "--no-traversals"]) == 0
    assert "Latent traversals: skipped, --no-traversals was given" in capsys.readouterr().out
    # build_report alone reads no checkpoint, and says so.
    summary = build_report(out / "store", tmp_path / "lib")
    assert any(
        line.startswith("Latent traversals: skipped, 2 of 24 done run(s)") for line in summary.not_computed
    )


def test_no_store_means_no_figures(tmp_path):
    assert traversal_report(tmp_path) == ([], f"no result store at {tmp_path / 'store'}")
