"""Packing runs into jobs: up to R runs of one (data set, objective) trained together as one replica batch."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from sweep.grid import RunSpec


@dataclass(frozen=True)
class Job:
    """Up to R runs sharing data set, objective and config; one Ray task trains and evaluates them."""

    job_id: str
    dataset: str
    objective: str
    runs: tuple[RunSpec, ...]


def job_id_of(runs: Sequence[RunSpec]) -> str:
    """A stable id for a set of runs (16 hex digits of SHA-256 over sorted run_ids); names the job's files."""
    return hashlib.sha256("|".join(sorted(r.run_id for r in runs)).encode()).hexdigest()[:16]


def pack(runs: Sequence[RunSpec], replicas: int) -> list[Job]:
    """Split runs into jobs of at most `replicas` runs of one (data set, objective), keeping grid order."""
    if replicas < 1:
        raise ValueError(f"replicas per job must be >= 1, got {replicas}")
    jobs = []
    for (dataset, objective), group in groupby(runs, key=lambda r: (r.dataset, r.objective)):
        group = list(group)
        for start in range(0, len(group), replicas):
            chunk = tuple(group[start : start + replicas])
            jobs.append(Job(job_id_of(chunk), dataset, objective, chunk))
    return jobs
