"""End to end on real Ray and files: one row per run, divergence, killed drivers and workers, a cluster."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from sweep_helpers import start_cli, sweep_env, tiny

from analysis import build_report
from results_schema import committed_files, read_table
from sweep.driver import run_sweep
from sweep.grid import expand_grid
from sweep.runner import job_markers
from sweep.store import orphan_files, recorded_runs, temp_files

pytestmark = [pytest.mark.ray, pytest.mark.slow]
ONE_OBJECTIVE = ["grid.objectives=[beta_vae]", "grid.strengths={beta_vae:[4.0]}"]


def grid_ids(overrides: list[str]) -> list[str]:
    return [r.run_id for r in expand_grid(overrides)[1]]


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the sweep exited ({proc.returncode}) before {what}:\n{proc.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def kill_tree(proc: subprocess.Popen, children: list[psutil.Process]) -> None:
    """SIGKILL a process we started and the descendants it had (Ray's processes), by pid."""
    for p in [psutil.Process(proc.pid), *children]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=30)
    psutil.wait_procs(children, timeout=30)


def test_small_grid_writes_one_row_per_run_and_records_divergence(tmp_path, jax_cache):
    # DIP-VAE-I at lambda_od = 1e37 has lambda_d = 1e38: its diagonal penalty overflows float32 at step one.
    overrides = tiny(
        tmp_path,
        jax_cache,
        "grid.datasets=[dsprites,color_dsprites]",
        "grid.objectives=[beta_vae,dip_vae_i]",
        "grid.seeds=2",
        "grid.strengths={beta_vae:[4.0],dip_vae_i:[1e37]}",
    )
    summary = run_sweep(overrides, show_progress=False)
    assert summary.counts == {"done": 4, "diverged": 4}
    runs = recorded_runs(tmp_path / "store").to_pandas()
    assert sorted(runs["run_id"]) == sorted(grid_ids(overrides))
    assert set(runs.loc[runs["objective"] == "dip_vae_i", "status"]) == {"diverged"}
    assert runs.loc[runs["status"] == "diverged", "diverged_step"].notna().all()
    done = runs[runs["status"] == "done"]
    assert (done["steps"] == 8).all() and done["final_loss"].notna().all()
    scores = read_table(tmp_path / "store", "scores").to_pandas()
    assert set(scores["run_id"]) == set(done["run_id"])
    expected = {(r, m) for r in ("mean", "sampled") for m in ("mig", "unsupervised")} | {("mean", "model")}
    for _, rows in scores.groupby("run_id"):
        assert set(zip(rows["representation"], rows["metric"], strict=True)) == expected
    curves = read_table(tmp_path / "store", "train_curves").to_pandas()
    assert sorted(curves.loc[curves["run_id"] == done["run_id"].iloc[0], "step"]) == [4, 8]
    assert run_sweep(overrides, show_progress=False).counts == {"done": 4, "diverged": 4}  # nothing redone
    assert len(committed_files(tmp_path / "store", "runs")) == 8

    # The aggregator on this real store: every computable item is built, the rest is listed as not computed.
    report = build_report(tmp_path / "store", tmp_path / "report")
    assert report.html.is_file() and report.runs_used == 4
    counts = pd.read_csv(report.tables["run_counts"])
    assert counts["done"].sum() == 4 and counts["diverged"].sum() == 4
    assert report.not_computed  # this grid scored MIG and the unsupervised scores only: the rest is listed
    assert all(path.is_file() and path.stat().st_size > 0 for path in report.figures.values())
    assert "dsprites" in report.html.read_text() and "color_dsprites" in report.html.read_text()


def test_killed_driver_then_rerun_records_every_run_exactly_once(tmp_path, jax_cache):
    overrides = tiny(tmp_path, jax_cache, *ONE_OBJECTIVE, "grid.seeds=4", "launcher.num_cpus=1")
    driver = start_cli("run", *overrides)
    store = tmp_path / "store"
    wait_for(lambda: store.exists() and committed_files(store, "runs"), 300, "a committed job", driver)
    children = psutil.Process(driver.pid).children(recursive=True)
    kill_tree(driver, children)
    committed = recorded_runs(store).num_rows  # readers see committed jobs only, never a temp file
    assert 1 <= committed <= 4
    summary = run_sweep(overrides, show_progress=False)
    assert summary.counts == {"done": 4}
    runs = recorded_runs(store).column("run_id").to_pylist()
    assert sorted(runs) == sorted(grid_ids(overrides))
    assert not temp_files(store) and not orphan_files(store) and not job_markers(tmp_path)


def test_killed_worker_is_retried_and_recorded_once(tmp_path, jax_cache):
    overrides = tiny(tmp_path, jax_cache, *ONE_OBJECTIVE, "launcher.max_retries=2")
    driver = start_cli("run", *overrides)
    markers = tmp_path / "running"
    marker = wait_for(
        lambda: markers.exists() and sorted(markers.glob("job-*.json")), 300, "a job to start", driver
    )[0]
    worker = json.loads(marker.read_text())["pid"]
    os.kill(worker, signal.SIGKILL)
    out, _ = driver.communicate(timeout=300)
    assert driver.returncode == 0, out
    assert not psutil.pid_exists(worker)
    runs = recorded_runs(tmp_path / "store").to_pylist()
    assert [(r["run_id"], r["status"]) for r in runs] == [(grid_ids(overrides)[0], "done")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_job_runs_on_a_separately_started_two_node_cluster(tmp_path, jax_cache):
    port = free_port()
    ray_bin = str(Path(sys.executable).with_name("ray"))
    temp_dir = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # Ray's socket paths must stay short
    env = {**sweep_env(), "RAY_ADDRESS": f"127.0.0.1:{port}"}
    common = ["--num-cpus=1", "--block", "--disable-usage-stats"]
    nodes = [
        subprocess.Popen(
            [
                ray_bin,
                "start",
                "--head",
                f"--port={port}",
                "--include-dashboard=false",
                f"--temp-dir={temp_dir}",
                *common,
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        wait_for(
            lambda: (
                subprocess.run(
                    [ray_bin, "status", f"--address=127.0.0.1:{port}"], env=env, capture_output=True
                ).returncode
                == 0
            ),
            120,
            "the head node",
        )
        nodes.append(
            subprocess.Popen(
                [ray_bin, "start", f"--address=127.0.0.1:{port}", *common],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        # launcher=cluster runs the explicitness fits as Ray CPU tasks (eval_on_ray).
        overrides = tiny(
            tmp_path,
            jax_cache,
            *ONE_OBJECTIVE,
            "grid.seeds=2",
            "launcher=cluster",
            "launcher.platform=cpu",
            "launcher.job_num_gpus=0",
            "launcher.job_num_cpus=1",
            "metrics.modularity_explicitness.num_train=200",
            "metrics.modularity_explicitness.num_test=100",
            metrics="[mig,unsupervised,modularity_explicitness]",
        )
        result = subprocess.run(
            [sys.executable, "-m", "sweep", "run", "--json", *overrides],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stdout)["by_status"] == {"done": 2}
        recorded = recorded_runs(tmp_path / "store").column("run_id").to_pylist()
        assert sorted(recorded) == sorted(grid_ids(overrides))
        scores = read_table(tmp_path / "store", "scores", {"metric": "modularity_explicitness"}).to_pandas()
        assert len(scores) == 2 * 2 * 3 and scores["value"].notna().all()
    finally:
        for node in reversed(nodes):  # `ray start --block` stops the processes it started on SIGTERM
            node.send_signal(signal.SIGTERM)
        for node in nodes:
            try:
                node.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
