"""A synthetic store and its report, shared by the analysis tests (built once per session)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from analysis import ReportFigure, build_report
from analysis.synthetic import SyntheticSpec, write_synthetic_store

# conf/metrics/small.yaml's sizes, as a `make demo` store records them.
SMALL_PROFILE = {
    "beta_vae_score": {"batch_size": 16, "num_train": 300, "num_eval": 150},
    "factor_vae_score": {"batch_size": 16, "num_train": 300, "num_eval": 150, "num_variance_estimate": 500},
    "mig": {"num_train": 1000},
    "dci": {"num_train": 300, "num_test": 150},
    "modularity_explicitness": {"num_train": 1000, "num_test": 500},
    "sap_score": {"num_train": 1000, "num_test": 500},
    "unsupervised": {"num_train": 1000},
    "downstream_lr": {"num_test": 250},
    "downstream_gbt": {"num_test": 250},
    "model": {"num_observations": 1000},
}
# A store shaped like `make demo`'s (conf/sweep/smoke.yaml): one data set, one strength per objective, one
# seed, 200 steps, the small metric profile with downstream sizes 10/100/300 and the LightGBM backend.
SMOKE = SyntheticSpec(
    datasets=("dsprites",),
    seeds=1,
    strength_indices=(2,),
    curve_points=3,
    steps=200,
    metric_sizes=SMALL_PROFILE,
    downstream_sizes=(10, 100, 300),
    efficiency_sizes=(100, 300),
    gbt_backend="lightgbm",
    sweep="smoke",
)
SMALL = SyntheticSpec(
    datasets=("dsprites", "cars3d"),
    seeds=8,
    replicas_per_job=16,
    curve_points=5,
    diverged_every=7,
    uncommitted_jobs=1,
)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory):
    """Two data sets x 6 objectives x 6 strengths x 8 seeds, some diverged runs and one interrupted job."""
    return write_synthetic_store(tmp_path_factory.mktemp("small") / "store", SMALL, seed=3)


@pytest.fixture(scope="session")
def report(small_store, tmp_path_factory):
    """The report of the small store, with one extra figure passed in by the caller."""
    out = tmp_path_factory.mktemp("report")
    extra = out.parent / "extra.png"
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8), (32, 1))).save(extra)
    figure = ReportFigure("traversal_test", "An extra figure", extra, "Passed in by the caller.")
    return build_report(small_store.root, out, extra_figures=[figure])


@pytest.fixture(scope="session")
def smoke_store(tmp_path_factory):
    """A store shaped like `make demo`'s: 6 runs, nothing the paper's analyses can rest on."""
    return write_synthetic_store(tmp_path_factory.mktemp("smoke") / "store", SMOKE, seed=5)


@pytest.fixture(scope="session")
def smoke_report(smoke_store, tmp_path_factory):
    """The report of the smoke-shaped store (no checkpoints: traversals skipped)."""
    return build_report(smoke_store.root, tmp_path_factory.mktemp("smoke_report"))
