"""The preflight: a sweep that cannot succeed is refused with one clear message before any job starts."""

from __future__ import annotations

import pytest
import ray

from sweep.driver import run_sweep
from sweep.errors import SweepConfigError


def refused(tmp_path, *overrides: str) -> str:
    """Run the sweep expecting a refusal; return the message after checking nothing was started or written."""
    out = tmp_path / "out"
    with pytest.raises(SweepConfigError) as refusal:
        run_sweep([f"out={out}", "train.steps=8", *overrides], show_progress=False)
    assert not ray.is_initialized()
    assert not (out / "store").exists() and not (out / "checkpoints").exists()
    return str(refusal.value)


def test_missing_data_file_names_the_file_and_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DISENTANGLEMENT_DATA", str(tmp_path / "data"))
    message = refused(tmp_path, "grid.datasets=[smallnorb]")
    assert "smallnorb" in message and "http" in message


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SweepConfigError, match="is not writable"):
        run_sweep([f"out={blocker / 'out'}"], show_progress=False)
    assert not ray.is_initialized()


def test_too_little_disk_for_the_checkpoints(tmp_path):
    message = refused(tmp_path, "disk.checkpoint_mib_per_run=1e12")
    assert "too little disk for the checkpoints of 6 runs" in message


def test_engine_problems_are_listed_together(tmp_path):
    message = refused(tmp_path, "+train.warmup=3", "metrics.gbt_backend=xgboost")
    assert "unknown key(s) ['train.warmup']" in message and "gbt_backend" in message


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("model=vq_vae", "model/vq_vae"),
        ("grid.strengths={beta_vae:[nan]}", "finite"),
    ],
)
def test_unknown_names_and_invalid_strengths(tmp_path, override, fragment):
    assert fragment in refused(tmp_path, override)
