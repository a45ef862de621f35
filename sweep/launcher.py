"""Launcher settings resolved against the platform: accelerator kind, R (replicas per job), throughput."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from sweep.config import CONF_DIR
from sweep.errors import SweepConfigError

PLATFORMS = ("cpu", "gpu", "tpu")


@dataclass(frozen=True)
class Throughput:
    """One platform's row of conf/throughput.yaml (None where not measured)."""

    images_per_second: float | None
    eval_seconds_per_run: float | None


def local_platform() -> str:
    """The accelerator kind JAX sees on this machine.

    It initializes JAX's backend (on a GPU that reserves memory), so only short-lived commands such as `plan`
    call it; the sweep driver asks Ray instead.
    """
    import jax

    backend = jax.default_backend()
    return "gpu" if backend in ("gpu", "cuda", "rocm") else backend


def resolve_platform(launcher: DictConfig, visible: Callable[[], str] = local_platform) -> str:
    """The jobs' platform: launcher.platform, or for `auto` what job resources imply, else `visible()`."""
    platform = launcher.platform
    if platform == "auto":
        if "TPU" in launcher.job_resources:
            platform = "tpu"
        elif launcher.job_num_gpus != "auto":
            platform = "gpu" if float(launcher.job_num_gpus) > 0 else "cpu"
        else:
            platform = visible()
    if platform not in PLATFORMS:
        raise SweepConfigError(f"launcher.platform must be auto or one of {PLATFORMS}, got {platform!r}")
    return platform


def throughput(platform: str) -> Throughput:
    """The bench-derived row of conf/throughput.yaml for `platform`."""
    row = OmegaConf.load(CONF_DIR / "throughput.yaml")[platform]
    return Throughput(row.images_per_second, row.eval_seconds_per_run)


def replicas_per_job(launcher: DictConfig, platform: str) -> int:
    """R: launcher.replicas_per_job, or the platform default from the training bench when it is `auto`."""
    from models import platform_defaults

    value = launcher.replicas_per_job
    r = platform_defaults(platform).replicas if value == "auto" else value
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise SweepConfigError(f"launcher.replicas_per_job must be auto or a positive int, got {value!r}")
    return r
