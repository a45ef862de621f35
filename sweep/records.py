"""Rows of the result tables from a job's outcome: one `runs` row per run, its scores and training curve."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version

import pyarrow as pa

from results_schema import SCHEMA_VERSION, TABLES
from sweep.grid import RunSpec, code_version

LOSS_TERMS = ("loss", "reconstruction", "kl", "regularizer", "elbo")
CURVE_TERMS = (*LOSS_TERMS, "tc")


@cache
def versions() -> dict[str, str]:
    """The package, JAX and scikit-learn versions recorded with every run."""
    return {
        "package_version": code_version(),
        "jax_version": version("jax"),
        "sklearn_version": version("scikit-learn"),
    }


def keys(spec: RunSpec) -> dict:
    """The run's identifying columns, repeated in every table so analysts need no join."""
    return {
        "run_id": spec.run_id,
        "model_num": spec.model_num,
        "dataset": spec.dataset,
        "objective": spec.objective,
        "strength_name": spec.strength_name,
        "strength": spec.strength,
        "seed": spec.seed,
    }


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def run_row(
    spec: RunSpec,
    job_id: str,
    sweep: str,
    *,
    status: str,
    steps: int,
    device: str,
    error: str | None = None,
    diverged_step: int | None = None,
    train_seconds: float | None = None,
    eval_seconds: float | None = None,
    host: str | None = None,
    checkpoint_path: str | None = None,
    final_logs: Mapping[str, float] | None = None,
) -> dict:
    """The `runs` row of one run."""
    logs = final_logs or {}
    return {
        "schema_version": SCHEMA_VERSION,
        **keys(spec),
        "sweep": sweep,
        "job_id": job_id,
        "status": status,
        "error": error,
        "steps": steps,
        "diverged_step": diverged_step,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "device": device,
        "host": host or socket.gethostname(),
        **versions(),
        "checkpoint_path": checkpoint_path,
        **{f"final_{t}": _finite_or_none(logs.get(t)) for t in LOSS_TERMS},
        "config_json": spec.base.config_json(spec.strength, spec.seed),
        "finished_at": datetime.now(UTC),
    }


def score_rows(spec: RunSpec, representation: str, records: Iterable, eval_seed: int) -> list[dict]:
    """`scores` rows of one run's ScoreRecords (metric, score, value, params) for one representation."""
    sklearn = versions()["sklearn_version"]
    return [
        {
            **keys(spec),
            "representation": representation,
            "metric": r.metric,
            "score": r.score,
            "value": float(r.value),
            "backend": r.params.get("backend"),
            "sklearn_version": sklearn,
            "params_json": json.dumps(r.params, sort_keys=True, default=str),
            "eval_seed": eval_seed,
        }
        for r in records
    ]


def curve_rows(spec: RunSpec, curve: Iterable[Mapping[str, float]]) -> list[dict]:
    """`train_curves` rows of one run: its logged loss terms by step (tc only where the objective has it)."""
    return [
        {
            "run_id": spec.run_id,
            "dataset": spec.dataset,
            "objective": spec.objective,
            "strength": spec.strength,
            "seed": spec.seed,
            "step": int(point["step"]),
            **{t: point.get(t) for t in CURVE_TERMS},
        }
        for point in curve
    ]


def failed_rows(
    runs: Iterable[RunSpec],
    job_id: str,
    sweep: str,
    error: str,
    device: str = "unknown",
    host: str | None = None,
) -> list[dict]:
    """`runs` rows recording every run of a job as failed with `error` (nothing else of the job is kept)."""
    return [
        run_row(spec, job_id, sweep, status="failed", steps=0, device=device, error=error, host=host)
        for spec in runs
    ]


def to_tables(rows: Mapping[str, list[dict]]) -> dict[str, pa.Table]:
    """Arrow tables with the store's declared schemas from lists of row dicts (absent tables are empty)."""
    return {name: pa.Table.from_pylist(rows.get(name, []), schema=schema) for name, schema in TABLES.items()}
