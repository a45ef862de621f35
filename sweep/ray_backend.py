"""Ray as the sweep's executor: connect (embedded or cluster), one task per job, GBT fits as CPU tasks.

Job tasks are declared with `max_calls=0`, so a worker process serves job after job: JAX is imported, the data
set loaded and the training program compiled once per process, not once per job. Their workers size XLA's CPU
thread pools to the CPUs a job asks for (`job_environment`). Ray re-runs a job whose worker died and, via
`retry_exceptions`, one that raised a named transient error; the job records any other error.
"""

from __future__ import annotations

import builtins
import importlib
import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import ray
from omegaconf import DictConfig

from sweep.config import to_plain
from sweep.errors import ExecutorError, SweepConfigError
from sweep.packing import Job
from sweep.runner import JobContext, run_job

# Read by jaxlib once, when JAX starts its CPU backend: the size of XLA's CPU thread pools (PJRT_NPROC first).
XLA_CPU_THREADS_VARIABLES = ("PJRT_NPROC", "NPROC")


def launcher_environment(launcher: DictConfig) -> dict[str, str]:
    """launcher.env_vars as strings: the environment every Ray worker of the sweep gets."""
    return {str(k): str(v) for k, v in to_plain(launcher.env_vars).items()}


def job_environment(launcher: DictConfig) -> dict[str, str]:
    """The environment of job workers: launcher.env_vars, plus XLA's CPU thread pools sized to the job's CPUs.

    XLA sizes its CPU thread pools to every core of the host, whatever Ray granted: a 16-core host running
    16 one-CPU jobs would run 16 pool threads per job. Two concurrent jobs on two cores trained 0.74-0.84x as
    fast with 8-thread pools as with one thread each (docs/benchmarks.md, "XLA's CPU thread pools under Ray").
    `PJRT_NPROC` (or `NPROC`) in launcher.env_vars wins.
    """
    env = launcher_environment(launcher)
    if not any(name in env for name in XLA_CPU_THREADS_VARIABLES):
        env["PJRT_NPROC"] = str(job_cpus(launcher))
    return env


def job_cpus(launcher: DictConfig) -> int:
    """Whole CPUs a job asks for (launcher.job_num_cpus rounded up, at least 1): what its pools may use."""
    return max(1, math.ceil(float(launcher.job_num_cpus)))


WORKER_NICENESS = "RAY_worker_niceness"  # read by the raylet an embedded start launches


def connect(launcher: DictConfig) -> str:
    """Start or join Ray as the launcher says; returns a one-line description of where jobs run.

    `address: null` joins the cluster in $RAY_ADDRESS when set (as under `ray job submit`) and otherwise
    starts an embedded local Ray without the dashboard; any other address (e.g. `auto`) must name a running
    cluster.
    """
    env_vars = launcher_environment(launcher)
    runtime_env = {"env_vars": env_vars} if env_vars else None
    address = launcher.address or os.environ.get("RAY_ADDRESS")
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, runtime_env=runtime_env, log_to_driver=True)
            else:
                # Ray starts workers at nice 15 unless told otherwise, so on a shared host any other process
                # (a build, a test suite) takes the CPU before the sweep's jobs do (docs/sweep.md).
                os.environ.setdefault(WORKER_NICENESS, "0")
                ray.init(include_dashboard=False, num_cpus=launcher.num_cpus, runtime_env=runtime_env)
        except Exception as err:  # Ray raises ConnectionError, RuntimeError or a bare Exception
            where = f"join the Ray cluster at {address}" if address else "start a local Ray"
            raise ExecutorError(
                f"could not {where}: {str(err).strip().splitlines()[0]} (nothing was run; "
                "rerun the same command)"
            ) from err
    resources = ray.cluster_resources()
    return (
        f"Ray {'cluster at ' + address if address else 'embedded'}: {len(ray.nodes())} node(s), "
        f"{resources.get('CPU', 0):g} CPU, {resources.get('GPU', 0):g} GPU"
    )


def job_num_gpus(launcher: DictConfig) -> float:
    """GPUs per job: launcher.job_num_gpus, or for `auto` one when the cluster has GPUs and none otherwise."""
    if launcher.job_num_gpus == "auto":
        return 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    return float(launcher.job_num_gpus)


def exception_classes(names: Iterable[str]) -> list[type[BaseException]]:
    """Exception classes from names: a builtin (`TimeoutError`) or a dotted path (`grpc.RpcError`)."""
    classes = []
    for name in names:
        module, _, attr = name.rpartition(".")
        cls = getattr(importlib.import_module(module) if module else builtins, attr, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise SweepConfigError(f"launcher.transient_errors names {name!r}, not an exception class")
        classes.append(cls)
    return classes


def job_task_options(launcher: DictConfig) -> dict[str, Any]:
    """Ray options of a job task: its resources, retry policy and `job_environment`."""
    return {
        "num_cpus": float(launcher.job_num_cpus),
        "num_gpus": job_num_gpus(launcher),
        "resources": to_plain(launcher.job_resources) or None,
        "max_retries": int(launcher.max_retries),
        "retry_exceptions": exception_classes(launcher.transient_errors) or False,
        "runtime_env": {"env_vars": job_environment(launcher)},
    }


_MAP_TASKS: dict[Callable, Any] = {}


def ray_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> list:
    """An evaluation `map_fn` that runs each item as a one-CPU Ray task (the GBT fits), results in order."""
    task = _MAP_TASKS.get(fn)
    if task is None:
        task = _MAP_TASKS[fn] = ray.remote(num_cpus=1)(fn)
    return ray.get([task.remote(item) for item in items])


def _run_job_task(job: Job, ctx: JobContext, eval_on_ray: bool) -> dict[str, list[dict]]:
    """The body of a job task: the job runner, with Ray CPU tasks for the GBT fits when asked."""
    return run_job(job, ctx, ray_map if eval_on_ray else None)


class JobSubmitter:
    """Submits jobs as Ray tasks with the launcher's resources and retry policy."""

    def __init__(self, launcher: DictConfig, ctx: JobContext) -> None:
        self._ctx = ctx
        self._eval_on_ray = bool(launcher.eval_on_ray)
        self._task = ray.remote(max_calls=0)(_run_job_task).options(**job_task_options(launcher))

    def submit(self, job: Job) -> ray.ObjectRef:
        """Start `job`; its ObjectRef yields the job's rows per table."""
        return self._task.remote(job, self._ctx, self._eval_on_ray)


def ray_platform() -> str:
    """The accelerator kind Ray's cluster offers: tpu, gpu, else cpu (asks Ray; never initializes JAX)."""
    resources = ray.cluster_resources()
    return "tpu" if resources.get("TPU", 0) > 0 else "gpu" if resources.get("GPU", 0) > 0 else "cpu"
