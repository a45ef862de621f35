"""Grid expansion: the composed (data set, objective) bases times strengths times seeds, as `RunSpec`s.

Each run gets a stable `run_id`, a hash of everything that determines its results: the resolved data set,
objective, strength, seed, training and metric configs, and the code version. The same run therefore has the
same id in every grid, job packing and process, which is what lets a rerun skip finished runs and resume
checkpointed ones. A run of the paper's grid also carries disentanglement_lib's `model_num`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from omegaconf import DictConfig, ListConfig

import study
from sweep.config import compose_bases, compose_config, to_plain, to_typed
from sweep.errors import SweepConfigError

if TYPE_CHECKING:
    from evaluation import MetricsConfig
    from models import Objective, TrainConfig
    from models.objectives import ObjectiveConfig


def code_version() -> str:
    """The version of the code that shapes results; part of every run_id (bump the package version)."""
    try:
        return version("disentanglement-sweep")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


@dataclass(frozen=True)
class RunBase:
    """What the runs of one (data set, objective) share: the typed config sections that shape results."""

    dataset: str
    objective: str
    strength_name: str
    study_strengths: tuple[float, ...]
    dataset_config: dict  # the `dataset` group: name, `procedural` and loader options
    model: ObjectiveConfig
    train: TrainConfig
    metrics: MetricsConfig
    heldout_observations: int  # observations averaged by the model-based scores

    def engine_objective(self) -> Objective:
        """The objective this base trains, with the config's fixed hyperparameters."""
        from models import OBJECTIVES

        return OBJECTIVES[self.objective].with_hyperparameters(self.model.hyperparameters)

    def identity(self) -> str:
        """Canonical JSON of everything but seed and strength that determines a run's results. A fixed
        hyperparameter enters only when it differs from the study's value, so the study's ids never change."""
        model = {
            "name": self.objective,
            "strength_name": self.strength_name,
            **self.engine_objective().changed_hyperparameters(),
        }
        return json.dumps(
            {
                "code": code_version(),
                "dataset": self.dataset_config,
                "model": model,
                "train": self.train.identity(),
                "metrics": self.metrics.identity(),
                "heldout": {"observations": self.heldout_observations},
            },
            sort_keys=True,
        )

    def config_json(self, strength: float, seed: int) -> str:
        """The resolved config of one run of this base, as JSON (the `config_json` column)."""
        model = {
            "name": self.objective,
            "strength_name": self.strength_name,
            self.strength_name: strength,
            "hyperparameters": dataclasses.asdict(self.model.hyperparameters),
        }
        return json.dumps(
            {
                "dataset": self.dataset_config,
                "model": model,
                "train": dataclasses.asdict(self.train),
                "metrics": self.metrics.to_dict(),
                "heldout": {"observations": self.heldout_observations},
                "seed": seed,
            },
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
        raise SweepConfigError(
            f"invalid strengths for {objective}: {strength_name} must be numbers, got {list(values)}"
        ) from None
    bad = [v for v in out if not math.isfinite(v) or v < 0]
    if not out or bad:
        raise SweepConfigError(
            f"invalid strengths for {objective}: {strength_name} must be finite and >= 0 "
            f"(got {list(values)}); fix grid.strengths.{objective}"
        )
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


def run_base(dataset: str, objective: str, cfg: DictConfig) -> RunBase:
    """The typed base of one composed (data set, objective) config; invalid values are a SweepConfigError."""
    from models import OBJECTIVES

    engine = OBJECTIVES[objective]
    heldout = cfg.heldout.observations
    if not isinstance(heldout, int) or isinstance(heldout, bool) or heldout < 2:
        raise SweepConfigError(f"heldout.observations must be an integer >= 2, got {heldout!r}")
    typed, problems = {}, []
    for section in ("model", "train", "metrics"):
        try:
            typed[section] = to_typed(cfg, section)
        except SweepConfigError as err:
            problems.append(str(err))
    if len(problems) == 1:
        raise SweepConfigError(problems[0])
    if problems:
        raise SweepConfigError("the configuration is invalid:\n  - " + "\n  - ".join(problems))
    return RunBase(
        dataset,
        objective,
        engine.strength_name,
        tuple(_strengths(objective, engine.strength_name, engine.study_strengths)),
        to_plain(cfg.dataset),
        typed["model"],
        typed["train"],
        typed["metrics"],
        heldout,
    )


def expand_bases(
    bases: dict[tuple[str, str], DictConfig], strengths: dict | None, seeds: Sequence[int]
) -> list[RunSpec]:
    """All runs of the grid in model_num order: data set, objective (the bases' order), strength, seed."""
    runs = []
    for (dataset, objective), cfg in bases.items():
        base = run_base(dataset, objective, cfg)
        identity = base.identity()
        chosen = (
            base.study_strengths
            if strengths is None or objective not in strengths
            else _strengths(objective, base.strength_name, strengths[objective])
        )
        for strength in chosen:
            for seed in seeds:
                runs.append(
                    RunSpec(
                        run_id_of(identity, strength, seed),
                        study.model_num(dataset, objective, strength, seed),
                        dataset,
                        objective,
                        base.strength_name,
                        strength,
                        seed,
                        base,
                    )
                )
    return runs


def expand_grid(overrides: Sequence[str] = ()) -> tuple[DictConfig, list[RunSpec]]:
    """Compose the root config and expand its grid: (root config, runs in model_num order)."""
    root = compose_config(overrides)
    datasets, objectives, strengths, seeds = grid_axes(root)
    bases = compose_bases(overrides, [(d, o) for d in datasets for o in objectives])
    return root, expand_bases(bases, strengths, seeds)
