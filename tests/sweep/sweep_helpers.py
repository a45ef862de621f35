"""Helpers of the sweep tests: tiny run configs and `python -m sweep` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def tiny(out: Path, cache: Path, *extra: str, metrics: str = "[mig,unsupervised]") -> list[str]:
    """Overrides for a seconds-long run: few steps, small batches, two cheap metrics, one compile cache."""
    return [
        f"out={out}",
        f"compilation_cache={cache}",
        "train.steps=8",
        "train.batch_size=16",
        "train.log_every=4",
        "train.checkpoint_every=4",
        "metrics=small",
        f"metrics.metrics={metrics}",
        "metrics.n_jobs=1",
        "metrics.mig.num_train=200",
        "metrics.unsupervised.num_train=200",
        "heldout.observations=64",
        "launcher.num_cpus=2",
        *extra,
    ]


def sweep_env() -> dict[str, str]:
    """Environment of a `python -m sweep` subprocess: CPU JAX, the repository importable."""
    return {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(REPO), "RAY_DEDUP_LOGS": "0"}


def run_cli(
    *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m sweep <args>` to completion and return its result (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "sweep", *args],
        cwd=REPO,
        env=env or sweep_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# `python -m sweep` with Ctrl-C delivered as in a terminal: a test run launched in the background of a
# non-interactive shell inherits SIGINT ignored, which Python (and so the CLI) would keep.
_WITH_SIGINT = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('sweep', run_name='__main__', alter_sys=True)"
)


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `python -m sweep <args>` in its own process group, SIGINT handled, and return the handle."""
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_SIGINT, *args],
        cwd=REPO,
        env=env or sweep_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
