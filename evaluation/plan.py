"""A metric's work for R replicas as data: per replica the classifier fits it needs and how to turn their
results into scores. `evaluate` pools the fits of all metrics and replicas into one parallel map."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.fits import FitResult, FitTask

Finish = Callable[[list[FitResult]], dict[str, float]]


@dataclass(frozen=True)
class ReplicaJob:
    """One replica's fits and the function that scores it from their results (in task order)."""

    tasks: list[FitTask]
    finish: Finish


def no_fits(scores: Callable[[], dict[str, float]]) -> ReplicaJob:
    """A job whose scores need no classifier fit (computed when the job is finished)."""
    return ReplicaJob([], lambda _results: scores())


@dataclass(frozen=True)
class MetricPlan:
    """All replicas' jobs of one metric and the params recorded with every score (its name and score names
    are its registration's, `evaluation.registry`)."""

    params: dict[str, Any]
    jobs: list[ReplicaJob | ValueError]  # per replica, or the ValueError that replica's inputs raised


def per_replica(num_replicas: int, build: Callable[[int], ReplicaJob]) -> list[ReplicaJob | ValueError]:
    """Build each replica's job; a replica with invalid inputs (e.g. NaN codes) keeps its error instead."""
    jobs: list[ReplicaJob | ValueError] = []
    for r in range(num_replicas):
        try:
            jobs.append(build(r))
        except ValueError as error:
            jobs.append(error)
    return jobs


def split_results(results: Sequence[FitResult], sizes: Sequence[int]) -> list[list[FitResult]]:
    """Cut a flat result list into consecutive groups of the given sizes."""
    groups, start = [], 0
    for size in sizes:
        groups.append(list(results[start : start + size]))
        start += size
    return groups
