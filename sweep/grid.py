"""Grid expansion: the composed (data set, objective) bases times strengths times seeds, as `RunSpec`s.

Each run gets a stable `run_id`, a hash of everything that determines its results: the resolved data set,
objective, strength, seed, training and metric configs, and the code version. The same run therefore has the
same id in every grid, job packing and process, which is what lets a rerun skip finished runs and resume
checkpointed ones. A run of the paper's grid also carries disentanglement_lib's `model_num`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from omegaconf import DictConfig, ListConfig

from sweep.config import compose_bases, compose_config, to_plain
from sweep.errors import SweepConfigError

# disentanglement_lib unsupervised_study_v1:
# model_num = dataset_idx*1800 + (objective_idx*6 + strength_idx)*50 + seed.
STUDY_DATASETS = ("dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites", "smallnorb", "cars3d",
                  "shapes3d")
STUDY_OBJECTIVES = ("beta_vae", "factor_vae", "dip_vae_i", "dip_vae_ii", "beta_tc_vae", "annealed_vae")
STUDY_SEEDS = 50
STUDY_STRENGTHS_PER_OBJECTIVE = 6
# Training keys that change speed, never results: not in the run_id, so tuning them does not restart a sweep.
HOST_LOOP_KEYS = ("checkpoint_every", "steps_per_call", "loop_form", "conv_impl", "represent_batch_size")


def code_version() -> str:
    """The version of the code that shapes results; part of every run_id (bump the package version)."""
    try:
        return version("disentanglement-sweep")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


@dataclass(frozen=True)
class RunBase:
    """What the runs of one (data set, objective) share: the resolved config sections shaping results."""

    dataset: str
    objective: str
    strength_name: str
    study_strengths: tuple[float, ...]
    config: dict  # plain {"dataset", "model", "train", "metrics", "heldout"} sections

    def identity(self) -> str:
        """Canonical JSON of everything but seed and strength that determines a run's results."""
        per_run = (self.strength_name, "study_strengths")
        model = {k: v for k, v in self.config["model"].items() if k not in per_run}
        train = {k: v for k, v in self.config["train"].items() if k not in HOST_LOOP_KEYS}
        return json.dumps(
            {"code": code_version(), "dataset": self.config["dataset"], "model": model,
             "train": train, "metrics": self.config["metrics"], "heldout": self.config["heldout"]},
            sort_keys=True,
        )


@dataclass(frozen=True)
class RunSpec:
    """One run of a grid: an objective at one strength and seed on one data set."""

    run_id: str
    model_num: int | None
    dataset: str
    objective: str
    strength_name: str
    strength: float
    seed: int
    base: RunBase


def model_num(dataset: str, objective: str, strength_idx: int | None, seed: int) -> int | None:
    """disentanglement_lib's model_num of a run of the paper's grid, or None for a run outside that grid."""
    if (dataset not in STUDY_DATASETS or objective not in STUDY_OBJECTIVES or strength_idx is None
            or not 0 <= seed < STUDY_SEEDS):
        return None
    per_objective = STUDY_STRENGTHS_PER_OBJECTIVE * STUDY_SEEDS
    return (STUDY_DATASETS.index(dataset) * len(STUDY_OBJECTIVES) * per_objective
            + (STUDY_OBJECTIVES.index(objective) * STUDY_STRENGTHS_PER_OBJECTIVE + strength_idx) * STUDY_SEEDS
            + seed)


def run_id_of(identity: str, strength: float, seed: int) -> str:
    """The stable id of a run: 16 hex digits of SHA-256 over its base identity, strength and seed."""
    return hashlib.sha256(f"{identity}|{float(strength)!r}|{int(seed)}".encode()).hexdigest()[:16]


def _names(value, default: str, key: str) -> list[str]:
    """A grid list of names (data sets or objectives), `default` alone when it is null."""
    if value is None:
        return [default]
    if not isinstance(value, ListConfig | list) or not value:
        raise SweepConfigError(f"grid.{key} must be a non-empty list of names, got {value!r}")
    names = [str(v) for v in value]
    if len(set(names)) != len(names):
        raise SweepConfigError(f"grid.{key} lists a name twice: {names}")
    return names


def _seeds(value) -> list[int]:
    """The grid's seeds: an int n means 0..n-1, a list is taken as is (non-negative, distinct)."""
    seeds = list(range(value)) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(seeds, ListConfig | list) or not seeds:
        raise SweepConfigError(f"grid.seeds must be a positive int or a non-empty list, got {value!r}")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise SweepConfigError(f"grid.seeds must be non-negative ints, got {list(seeds)}")
    if len(set(seeds)) != len(seeds):
        raise SweepConfigError(f"grid.seeds lists a seed twice: {list(seeds)}")
    return [int(s) for s in seeds]


def _strengths(objective: str, strength_name: str, values) -> list[float]:
    """Validated strengths of one objective: finite, non-negative numbers, each once."""
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise SweepConfigError(f"invalid strengths for {objective}: {strength_name} must be numbers, "
                               f"got {list(values)}") from None
    bad = [v for v in out if not math.isfinite(v) or v < 0]
    if not out or bad:
        raise SweepConfigError(f"invalid strengths for {objective}: {strength_name} must be finite and >= 0 "
                               f"(got {list(values)}); fix grid.strengths.{objective} or the model's "
                               "study_strengths")
    if len(set(out)) != len(out):
        raise SweepConfigError(f"invalid strengths for {objective}: a value is listed twice in {out}")
    return out


def grid_axes(root: DictConfig) -> tuple[list[str], list[str], dict | None, list[int]]:
    """The data sets, objectives, strength map (or None) and seeds a composed root config asks for."""
    grid = root.grid
    datasets = _names(grid.datasets, root.dataset.name, "datasets")
    objectives = _names(grid.objectives, root.model.name, "objectives")
    strengths = None if grid.strengths is None else to_plain(grid.strengths)
    if strengths is not None:
        if not isinstance(strengths, dict):
            raise SweepConfigError(f"grid.strengths must map objective names to lists, got {strengths!r}")
        unknown = sorted(set(strengths) - set(objectives))
        if unknown:
            raise SweepConfigError(f"grid.strengths names objectives not in grid.objectives: {unknown}")
    return datasets, objectives, strengths, _seeds(grid.seeds)


def expand_bases(bases: dict[tuple[str, str], DictConfig], strengths: dict | None, seeds: Sequence[int]
                 ) -> list[RunSpec]:
    """All runs of the grid in model_num order: data set, objective (the bases' order), strength, seed."""
    runs = []
    for (dataset, objective), cfg in bases.items():
        plain = {k: to_plain(cfg[k]) for k in ("dataset", "model", "train", "metrics", "heldout")}
        name = plain["model"]["strength_name"]
        study = tuple(_strengths(objective, name, plain["model"]["study_strengths"]))
        base = RunBase(dataset, objective, name, study, plain)
        identity = base.identity()
        chosen = study if strengths is None or objective not in strengths else _strengths(
            objective, name, strengths[objective])
        for strength in chosen:
            idx = study.index(strength) if strength in study else None
            for seed in seeds:
                runs.append(RunSpec(run_id_of(identity, strength, seed),
                                    model_num(dataset, objective, idx, seed),
                                    dataset, objective, name, strength, seed, base))
    return runs


def expand_grid(overrides: Sequence[str] = ()) -> tuple[DictConfig, list[RunSpec]]:
    """Compose the root config and expand its grid: (root config, runs in model_num order)."""
    root = compose_config(overrides)
    datasets, objectives, strengths, seeds = grid_axes(root)
    bases = compose_bases(overrides, [(d, o) for d in datasets for o in objectives])
    return root, expand_bases(bases, strengths, seeds)
