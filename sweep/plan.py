"""`python -m sweep plan`: what a grid expands to (counts, jobs) and what it will cost, before it runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from sweep.grid import RunSpec
from sweep.launcher import Throughput
from sweep.packing import Job

if TYPE_CHECKING:
    from evaluation import MetricsConfig

# Metric settings that change how fast an evaluation runs, not how much it computes.
_SPEED_ONLY_METRIC_KEYS = ("n_jobs", "encode_batch_size")


def device_hours(
    jobs: Sequence[Job], steps: int, batch_size: int, rate: Throughput, with_evaluation: bool = True
) -> float | None:
    """Estimated device-hours of `jobs`: training images over the bench's images/s plus evaluation per run.

    The bench's images/s counts the images of all replicas of a job at the platform's default R, so the runs
    take steps * batch_size * runs / images_per_second seconds. Evaluation is left out where the platform has
    no evaluation figure or `with_evaluation` is False (`render` says why); None without a training figure.
    """
    if rate.images_per_second is None:
        return None
    runs = sum(len(j.runs) for j in jobs)
    train = steps * batch_size * runs / rate.images_per_second
    evaluation = runs * (rate.eval_seconds_per_run or 0.0) if with_evaluation else 0.0
    return (train + evaluation) / 3600.0


def evaluation_scope(metrics: MetricsConfig, rate: Throughput) -> str | None:
    """Why the estimate leaves evaluation out (None: it includes it). conf/throughput.yaml's figure was
    measured at the study's metric settings, so it prices no other profile (smaller sizes, LightGBM, fewer
    metrics)."""
    if rate.eval_seconds_per_run is None:
        return "evaluation not benchmarked there"
    study = type(metrics).study().to_dict()
    chosen = metrics.to_dict()
    if any(chosen[k] != study[k] for k in study if k not in _SPEED_ONLY_METRIC_KEYS):
        return "evaluation not estimated: its figure is for the study's metric settings, this grid's differ"
    return None


def estimate(jobs: Sequence[Job], rate: Throughput) -> tuple[float | None, str | None]:
    """(device-hours of `jobs` at `rate`, why evaluation is left out or None), from the jobs' own typed
    configs: what `plan` prints and what `run` warns with."""
    if not jobs:
        return device_hours(jobs, 0, 0, rate), None
    base = jobs[0].runs[0].base
    scope = evaluation_scope(base.metrics, rate)
    hours = device_hours(jobs, base.train.steps, base.train.batch_size, rate, with_evaluation=scope is None)
    return hours, scope


def summarize(
    root: DictConfig,
    runs: Sequence[RunSpec],
    jobs: Sequence[Job],
    platform: str,
    replicas: int,
    rate: Throughput,
) -> dict:
    """The plan as JSON-ready data: counts by data set, objective and strength, jobs, device-hour estimate."""
    by_strength = Counter((r.objective, r.strength_name, r.strength) for r in runs)
    hours, scope = estimate(jobs, rate)
    return {
        "grid": root.grid.name,
        "runs": len(runs),
        "jobs": len(jobs),
        "replicas_per_job": replicas,
        "platform": platform,
        "steps": int(root.train.steps),
        "by_dataset": dict(Counter(r.dataset for r in runs)),
        "by_objective": dict(Counter(r.objective for r in runs)),
        "by_strength": [
            {"objective": o, "strength_name": n, "strength": s, "runs": c}
            for (o, n, s), c in by_strength.items()
        ],
        "seeds": sorted({r.seed for r in runs}),
        "estimated_device_hours": hours,
        "estimate_includes_evaluation": scope is None,
        "estimate_scope": scope,
    }


def render(plan: dict) -> str:
    """The plan as the text `python -m sweep plan` prints."""
    seeds = plan["seeds"]
    seed_text = f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else str(seeds)
    lines = [
        f"grid {plan['grid']}: {plan['runs']} runs in {plan['jobs']} jobs of up to "
        f"{plan['replicas_per_job']} replicas ({plan['platform']}), {plan['steps']} steps each, "
        f"seeds {seed_text}",
        "by data set:  " + ", ".join(f"{k} {v}" for k, v in plan["by_dataset"].items()),
        "by objective: " + ", ".join(f"{k} {v}" for k, v in plan["by_objective"].items()),
        "by strength:",
    ]
    current = None
    for row in plan["by_strength"]:
        if row["objective"] != current:
            current = row["objective"]
            lines.append(f"  {current} ({row['strength_name']}):")
        lines[-1] += f" {row['strength']:g}×{row['runs']}"
    hours = plan["estimated_device_hours"]
    where = f"estimated device-hours on {plan['platform']}"
    scope = "" if plan["estimate_includes_evaluation"] else f" (training only: {plan['estimate_scope']})"
    lines.append(
        f"{where}: {hours:,.1f}{scope}"
        if hours is not None
        else f"{where}: unknown (no bench figure for {plan['platform']} in conf/throughput.yaml; "
        "run bench/train.py there)"
    )
    return "\n".join(lines)
