"""Jobs use the CPUs they ask for: XLA's CPU thread pools and the classifier fits' processes, unless told."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import ray
from omegaconf import OmegaConf
from sweep_helpers import REPO, sweep_env, tiny

from sweep.config import compose_config
from sweep.ray_backend import WORKER_NICENESS, connect, job_environment, job_task_options


def launcher(**overrides):
    config = OmegaConf.load("conf/launcher/local.yaml")
    config.merge_with({"num_cpus": 2, "job_num_gpus": 0, **overrides})
    return config


def test_job_environment_sizes_pools_to_job_cpus_and_keeps_the_launchers_variables():
    assert job_environment(launcher(job_num_cpus=1)) == {"PJRT_NPROC": "1"}
    assert job_environment(launcher(job_num_cpus=2.5))["PJRT_NPROC"] == "3"
    assert job_environment(launcher(job_num_cpus=0))["PJRT_NPROC"] == "1"
    assert job_environment(launcher(env_vars={"NPROC": 4, "A": "b"})) == {"NPROC": "4", "A": "b"}


@pytest.mark.ray
@pytest.mark.slow
def test_job_worker_runs_xla_with_one_pool_thread_per_job_cpu():
    def xla_pool_threads() -> tuple[str | None, int]:
        import os
        from pathlib import Path

        import jax
        import jax.numpy as jnp

        jax.jit(lambda x: x @ x)(jnp.ones((256, 256))).block_until_ready()
        tasks = Path("/proc/self/task").iterdir()
        names = [(task / "comm").read_text().strip() for task in tasks]
        return os.environ.get("PJRT_NPROC"), names.count("tf_XLAEigen")

    one_cpu, user_set = launcher(job_num_cpus=1), launcher(job_num_cpus=1, env_vars={"PJRT_NPROC": 2})
    connect(one_cpu)
    try:
        probe = ray.remote(max_calls=0)(xla_pool_threads)
        probes = [probe.options(**job_task_options(config)) for config in (one_cpu, user_set)]
        assert ray.get([probe.remote() for probe in probes]) == [("1", 1), ("2", 2)]
    finally:
        ray.shutdown()


# Runs one job in a fresh process, so that no process pool of an earlier test can hide a new one.
ONE_JOB = """
import json, multiprocessing, sys
from sweep.grid import expand_grid
from sweep.packing import pack
from sweep.runner import JobContext, run_job
root, runs = expand_grid(json.loads(sys.argv[1]))
(job,) = pack(runs, 1)
rows = run_job(job, JobContext(root.out, root.grid.name, None, (), root.compilation_cache, fit_processes=1))
print(json.dumps({"status": [r["status"] for r in rows["runs"]],
                  "metrics": sorted({r["metric"] for r in rows["scores"]}),
                  "children": len(multiprocessing.active_children())}))
"""


@pytest.mark.slow
def test_a_job_granted_one_cpu_runs_its_classifier_fits_in_process(tmp_path, jax_cache):
    overrides = tiny(
        tmp_path,
        jax_cache,
        "grid.objectives=[beta_vae]",
        "grid.strengths={beta_vae:[4.0]}",
        "grid.seeds=1",
        "metrics.n_jobs=null",
        "metrics.sap_score.num_train=200",
        "metrics.sap_score.num_test=100",
        metrics="[sap_score]",
    )
    done = subprocess.run(
        [sys.executable, "-c", ONE_JOB, json.dumps(overrides)],
        env=sweep_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == ["done"] and "sap_score" in result["metrics"]
    assert result["children"] == 0  # with n_jobs null and no cap the fits would start a pool of every core


@pytest.mark.ray
def test_embedded_ray_runs_jobs_at_the_drivers_priority(monkeypatch):
    """Ray's default would start workers at nice 15, behind every other process on the host."""
    monkeypatch.delenv(WORKER_NICENESS, raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    try:
        connect(compose_config(["launcher.num_cpus=1"]).launcher)
        worker_nice = ray.get(ray.remote(lambda: os.nice(0)).remote())
    finally:
        ray.shutdown()
        os.environ.pop(WORKER_NICENESS, None)
    assert worker_nice == os.nice(0)
