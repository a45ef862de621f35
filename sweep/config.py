"""Hydra composition of the sweep's config: one root config, and the (data set, objective) bases of a grid.

The `train`, `model` and `metrics` groups have no YAML: their options are the engines' own dataclasses
(`models.TrainConfig`, each objective's `ObjectiveConfig`, `evaluation.MetricsConfig.study()/small()`),
registered here as Hydra structured configs, so a wrong key or type is refused when the config is composed.
Hydra's compose API is used directly (no multirun, no output directories, no chdir): composing the 42 bases of
the paper's grid takes about two seconds, where multirun would compose and validate all 12,600 jobs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sweep.errors import SweepConfigError

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
_GROUP_KEYS = ("dataset", "model")


def _writable(node: DictConfig) -> DictConfig:
    """`node` and its children made writable (OmegaConf marks a frozen dataclass read-only; Hydra must merge
    overrides into it, and `to_object` checks the frozen dataclass again)."""
    OmegaConf.set_readonly(node, None)
    for key in node:
        child = node._get_node(key)
        if isinstance(child, DictConfig):
            _writable(child)
    return node


def config_node(value: object) -> DictConfig:
    """A dataclass instance as a writable structured config node."""
    return _writable(OmegaConf.structured(value))


@functools.cache
def register_schemas() -> None:
    """Register the engines' dataclasses as the options of the `train`, `model` and `metrics` groups (once
    per process: every compose reads the same store)."""
    from evaluation import MetricsConfig
    from models import OBJECTIVES, TrainConfig
    from models.objectives import ObjectiveConfig

    store = ConfigStore.instance()
    store.store(group="train", name="default", node=config_node(TrainConfig()))
    for name, objective in OBJECTIVES.items():
        one_run = ObjectiveConfig(name, objective.study_strengths[0], objective.hyperparameters)
        store.store(group="model", name=name, node=config_node(one_run))
    store.store(group="metrics", name="study", node=config_node(MetricsConfig.study()))
    store.store(group="metrics", name="small", node=config_node(MetricsConfig.small()))


def _composer(overrides: Sequence[str]):
    """A function composing the root config with `overrides` plus extra ones; Hydra errors are rephrased."""

    def run(extra: Sequence[str] = ()) -> DictConfig:
        try:
            return compose("config", overrides=[*overrides, *extra])
        except (HydraException, OmegaConfBaseException) as err:
            given = " ".join([*overrides, *extra])
            cause = f": {str(err.__cause__).splitlines()[0]}" if err.__cause__ else ""
            raise SweepConfigError(f"invalid configuration ({given}): {err}{cause}") from None

    return run


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """Compose the root config with command-line `overrides` (e.g. `sweep=smoke`, `train.steps=100`)."""
    register_schemas()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return _composer(overrides)()


def compose_bases(
    overrides: Sequence[str], pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], DictConfig]:
    """Compose one config per (data set, objective) pair, the user's overrides applied to each.

    A plain `dataset=`/`model=` override is dropped here because the pair chooses those groups.
    """
    kept = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in _GROUP_KEYS]
    register_schemas()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        run = _composer(kept)
        return {(d, m): run([f"dataset={d}", f"model={m}"]) for d, m in pairs}


def to_plain(cfg: DictConfig) -> dict:
    """The resolved config section as plain Python containers (for hashing and JSON)."""
    return OmegaConf.to_container(cfg, resolve=True)


def _unknown_keys(node: DictConfig, where: str) -> list[str]:
    """Keys a `+key=value` override added to a structured node that its dataclass lacks (at any depth)."""
    schema = OmegaConf.get_type(node)
    known = {f.name for f in dataclasses.fields(schema)} if dataclasses.is_dataclass(schema) else set(node)
    unknown = [f"{where}.{key}" for key in node if key not in known]
    for key in set(node) & known:
        child = node._get_node(key)
        if isinstance(child, DictConfig):
            unknown += _unknown_keys(child, f"{where}.{key}")
    return unknown


def to_typed(cfg: DictConfig, section: str):
    """A composed structured section as its dataclass (TrainConfig, ObjectiveConfig, MetricsConfig); an
    unknown key or a value its dataclass refuses becomes one SweepConfigError naming the section."""
    unknown = _unknown_keys(cfg[section], section)
    if unknown:
        raise SweepConfigError(f"invalid {section} config: unknown key(s) {sorted(unknown)}")
    try:
        return OmegaConf.to_object(cfg[section])
    except (OmegaConfBaseException, ValueError, TypeError) as err:
        cause = err.__cause__ if isinstance(err.__cause__, ValueError | TypeError) else err
        raise SweepConfigError(f"invalid {section} config: {str(cause).splitlines()[0]}") from None
