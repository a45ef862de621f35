"""sweep/traversals.py: traversal images decoded from real final checkpoints of the best run per objective."""

from __future__ import annotations

import jax
import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from analysis import build_report
from analysis.synthetic import SyntheticSpec, write_synthetic_store
from models.checkpoint import export_final, run_dir
from models.network import Decoder, Encoder
from results_schema import read_table, write_table
from sweep.traversals import GAP, traversal_figures

LATENTS = 10


def _params(seed: int) -> dict:
    """Random parameters in the networks' exact layout (shapes by abstract evaluation: no slow init)."""
    key = jax.random.PRNGKey(0)
    shapes = {
        "encoder": jax.eval_shape(Encoder(LATENTS).init, key, np.zeros((1, 64, 64, 3), np.float32)),
        "decoder": jax.eval_shape(Decoder(3).init, key, np.zeros((1, LATENTS), np.float32)),
    }
    rng = np.random.default_rng(seed)
    return jax.tree.map(
        lambda s: (0.05 * rng.standard_normal(s.shape)).astype(np.float32),
        {name: tree["params"] for name, tree in shapes.items()},
    )


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory):
    """A sweep output directory: a store whose two best runs by DCI have final checkpoints, except that the
    very best beta_vae run's checkpoint is missing (so its runner-up is shown)."""
    out = tmp_path_factory.mktemp("sweep_out")
    spec = SyntheticSpec(datasets=("cars3d",), objectives=("beta_vae", "factor_vae"), seeds=2, curve_points=1)
    write_synthetic_store(out / "store", spec)
    dci = read_table(out / "store", "scores", {"metric": "dci", "score": "disentanglement"}).to_pandas()
    ranked = dci[dci["representation"] == "mean"].sort_values("value", ascending=False)
    chosen = {}
    for objective in spec.objectives:
        best, runner_up = ranked.loc[ranked["objective"] == objective, "run_id"].iloc[:2]
        runs = read_table(out / "store", "runs", {"objective": objective})
        paths = [
            str(out / "checkpoints" / r) if r in (best, runner_up) else None
            for r in runs["run_id"].to_pylist()
        ]
        runs = runs.set_column(
            runs.schema.get_field_index("checkpoint_path"), "checkpoint_path", pa.array(paths, pa.string())
        )
        write_table(
            out / "store", "runs", runs, dataset="cars3d", objective=objective, job_id=f"cars3d-{objective}-0"
        )
        shown = runner_up if objective == "beta_vae" else best
        chosen[objective] = (shown, _params(len(chosen)))
        export_final(run_dir(out / "checkpoints", shown), chosen[objective][1], {"status": "done"})
    return out, chosen


@pytest.fixture(scope="module")
def figures(sweep_out, tmp_path_factory):
    """The traversal figures of `sweep_out`, its data set unavailable (so the base code is the prior mean)."""
    return traversal_figures(sweep_out[0], data_dir=tmp_path_factory.mktemp("no-data"))


def test_one_figure_per_objective_from_the_best_run_with_a_checkpoint(sweep_out, figures, tmp_path):
    out, chosen = sweep_out
    assert [f.name for f in figures] == [f"traversal_{chosen[o][0]}" for o in ("beta_vae", "factor_vae")]
    assert all("prior mean" in f.caption and "cars3d" in f.title for f in figures)
    assert traversal_figures(out, max_runs=1, data_dir=tmp_path)[0].name == figures[0].name


def test_tiles_are_the_decoder_means_of_the_traversed_codes(sweep_out, figures):
    _, chosen = sweep_out
    image = np.asarray(Image.open(figures[0].path))
    step = 64 + GAP
    assert image.shape == (LATENTS * step - GAP, 11 * step - GAP, 3)
    probes = ((0, 0, -1.0), (3, 5, 0.0), (9, 10, 1.0))  # (latent, column, value)
    codes = np.zeros((len(probes), LATENTS), np.float32)
    for row, (latent, _, value) in enumerate(probes):
        codes[row, latent] = value
    logits = jax.jit(Decoder(3).apply)({"params": chosen["beta_vae"][1]["decoder"]}, codes)
    expected = np.round(np.asarray(jax.nn.sigmoid(logits)) * 255)
    for row, (latent, column, _) in enumerate(probes):
        tile = image[latent * step : latent * step + 64, column * step : column * step + 64]
        np.testing.assert_allclose(tile.astype(int), expected[row].astype(int), atol=1)
    assert np.all(image[64 : 64 + GAP] == 255)  # white gaps between rows


def test_report_includes_the_traversals(sweep_out, figures, tmp_path):
    summary = build_report(sweep_out[0] / "store", tmp_path / "report", extra_figures=figures)
    assert {f.name for f in figures} <= set(summary.figures)
    assert summary.html.read_text().count('<h2 id="traversal_') == 2


def test_no_store_means_no_figures(tmp_path):
    assert traversal_figures(tmp_path) == []
