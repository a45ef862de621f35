"""A synthetic store and its report, shared by the analysis tests (built once per session)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from analysis import ReportFigure, build_report
from analysis.synthetic import SyntheticSpec, write_synthetic_store

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
