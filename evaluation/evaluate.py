"""`evaluate`: every configured metric for R replicas of one model on one data set, as ScoreRecord rows.

Each metric draws its ground-truth samples once (from a seed of its own, derived from the sample seed and the
metric's name, so switching metrics on or off never changes another metric's samples) and scores all R
replicas on them. The classifier fits of all metrics and replicas go through one `map_fn` call.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluation import registry
from evaluation.config import MetricsConfig
from evaluation.fits import FitResult, MapFn, raise_failed, run_tasks
from evaluation.parallel import local_map
from evaluation.plan import MetricPlan, ReplicaJob, split_results
from evaluation.sampling import GroundTruth, Represent


@dataclass(frozen=True)
class ScoreRecord:
    """One score of one replica: metric and score name (docs/architecture.md), value, what produced it."""

    metric: str
    score: str
    value: float
    params: dict[str, Any]


def metric_rng(sample_seed: int, metric: str) -> np.random.Generator:
    """The generator of one metric's ground-truth samples: a function of sample seed and metric name."""
    return np.random.default_rng([sample_seed, zlib.crc32(metric.encode())])


def plan_metric(
    data: GroundTruth, represent: Represent, config: MetricsConfig, metric: str, sample_seed: int
) -> MetricPlan:
    """Sample and encode what `metric` needs for all replicas (its registered planner): its replica jobs."""
    return registry.get(metric).plan(data, represent, metric_rng(sample_seed, metric), config)


def finish_plan(
    metric: str,
    score_names: tuple[str, ...],
    plan: MetricPlan,
    results: list[list[FitResult]],
    base: dict[str, Any],
) -> list[list[ScoreRecord]]:
    """Score each replica from its fits; a replica with invalid inputs gets NaN rows holding the error."""
    params = {**base, **plan.params}
    rows = []
    for job, fits in zip(plan.jobs, results, strict=True):
        try:
            if isinstance(job, ValueError):
                raise job
            raise_failed(fits)
            scores = job.finish(fits)
            rows.append([ScoreRecord(metric, name, float(scores[name]), params) for name in score_names])
        except ValueError as error:
            failed = {**params, "error": str(error)}
            rows.append([ScoreRecord(metric, name, math.nan, failed) for name in score_names])
    return rows


def evaluate(
    data: GroundTruth, represent: Represent, config: MetricsConfig, seed: int, map_fn: MapFn | None = None
) -> list[list[ScoreRecord]]:
    """Score R replicas on every metric of `config`: per replica its ScoreRecords, in config order.

    `represent(obs [N, H, W, C]) -> codes [R, N, d]` encodes a batch for all replicas. Ground-truth samples
    come from `config.sample_seed` (same for every model, the study's choice) or, if it is None, `seed`.
    `map_fn(fn, items) -> list` runs the classifier fits (default: a local pool of `config.n_jobs` processes).
    """
    sample_seed = seed if config.sample_seed is None else config.sample_seed
    plans = [plan_metric(data, represent, config, metric, sample_seed) for metric in config.metrics]
    jobs = [job for plan in plans for job in plan.jobs]
    sizes = [len(job.tasks) if isinstance(job, ReplicaJob) else 0 for job in jobs]
    tasks = [task for job in jobs if isinstance(job, ReplicaJob) for task in job.tasks]
    results = split_results(run_tasks(tasks, map_fn or local_map(config.n_jobs), keep_errors=True), sizes)
    base = {"sample_seed": sample_seed}
    per_metric = []
    for metric, plan in zip(config.metrics, plans, strict=True):
        names = registry.get(metric).score_names(config, len(data.factor_sizes))
        per_metric.append(finish_plan(metric, names, plan, results[: len(plan.jobs)], base))
        results = results[len(plan.jobs) :]
    num_replicas = len(plans[0].jobs) if plans else 0
    return [[row for metric_rows in per_metric for row in metric_rows[r]] for r in range(num_replicas)]
