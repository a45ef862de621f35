"""Synthetic stores shared by the analysis tests (written once per test module)."""

from __future__ import annotations

import pytest

from analysis.synthetic import SyntheticSpec, write_synthetic_store

SMALL = SyntheticSpec(
    datasets=("dsprites", "cars3d"),
    seeds=8,
    replicas_per_job=16,
    curve_points=5,
    diverged_every=50,
    uncommitted_jobs=1,
)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Two data sets x 6 objectives x 6 strengths x 8 seeds, some diverged runs and one interrupted job."""
    return write_synthetic_store(tmp_path_factory.mktemp("small") / "store", SMALL, seed=3)
