"""`python -m sweep train`: one run, its checkpoint and log, under the run_id it has in any sweep."""

from __future__ import annotations

import json

import pytest
from sweep_helpers import run_cli, tiny

from sweep.grid import expand_grid


@pytest.mark.slow
def test_train_writes_checkpoint_and_log_under_the_sweep_run_id(tmp_path, jax_cache):
    overrides = tiny(tmp_path, jax_cache, "model=beta_vae", "model.strength=4", "dataset=dsprites", "seed=3")
    result = run_cli("train", "--json", *overrides, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["steps"], summary["beta"], summary["seed"]) == ("done", 8, 4.0, 3)
    in_a_sweep = expand_grid([*overrides, "grid.seeds=[3]", "grid.strengths={beta_vae:[4.0]}"])[1]
    assert [r.run_id for r in in_a_sweep] == [summary["run_id"]]
    assert (tmp_path / "checkpoints" / summary["run_id"]).is_dir()
    log_file = tmp_path / "logs" / f"{summary['run_id']}.jsonl"
    log = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [point["step"] for point in log] == [4, 8] and all("loss" in point for point in log)
