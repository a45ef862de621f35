"""Job workers get XLA's CPU thread pools sized to the CPUs a job asks for, unless the launcher says."""

from __future__ import annotations

import pytest
import ray
from omegaconf import OmegaConf

from sweep.ray_backend import connect, job_environment, job_task_options


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
