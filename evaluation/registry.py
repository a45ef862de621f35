"""The metric registry: each metric module registers its planner with `@register`, naming the metric, the
MetricsConfig field and type of its settings, its score names and its study and small sizes. `evaluate`
looks planners up here and MetricsConfig assembles its defaults and profiles from here (see
`evaluation.metrics`, which imports every metric module and so fills the registry in METRICS order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.plan import MetricPlan
from evaluation.sampling import GroundTruth, Represent

if TYPE_CHECKING:
    from evaluation.config import MetricsConfig

Planner = Callable[[GroundTruth, Represent, np.random.Generator, "MetricsConfig"], MetricPlan]
# Score names: fixed, or a function of the metric's settings and the number of factors (downstream).
ScoreNames = tuple[str, ...] | Callable[[Any, int], tuple[str, ...]]
PROFILES = ("study", "small")


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric: `plan(data, represent, rng, config)` samples, encodes and returns its jobs;
    its settings are `config.<field>`, of type `config_type`, sized `study` or `small` in the profiles."""

    name: str
    plan: Planner
    config_type: type
    field: str
    study: Any
    small: Any
    scores: ScoreNames
    in_study: bool = True  # one of the paper's metrics: in the study profile's `metrics` and in every run_id

    def score_names(self, config: MetricsConfig, num_factors: int) -> tuple[str, ...]:
        """The score names of this metric's rows, in row order, under `config` on `num_factors` factors."""
        if callable(self.scores):
            return self.scores(getattr(config, self.field), num_factors)
        return self.scores


_REGISTRY: dict[str, MetricSpec] = {}


def register(
    name: str,
    *,
    config: type,
    study: Any,
    small: Any,
    scores: ScoreNames,
    field: str | None = None,
    in_study: bool = True,
) -> Callable[[Planner], Planner]:
    """Decorator registering a planner as metric `name`; its settings live in MetricsConfig field `field`
    (default: `name`). Metrics sharing a field (downstream_lr/_gbt) must register the same sizes. A metric
    with `in_study=False` is opt-in (`metrics.metrics=[..., name]`) and its settings enter a run_id only when
    a run uses it, so adding one leaves every existing run_id as it was."""

    def decorate(plan: Planner) -> Planner:
        spec = MetricSpec(name, plan, config, field or name, study, small, scores, in_study)
        _check(spec)
        _REGISTRY[name] = spec
        return plan

    return decorate


def _check(spec: MetricSpec) -> None:
    """Refuse a name registered twice, sizes of the wrong type, and a shared field with differing sizes."""
    if spec.name in _REGISTRY:
        raise ValueError(f"metric {spec.name!r} is registered twice.")
    for profile in PROFILES:
        if not isinstance(getattr(spec, profile), spec.config_type):
            raise TypeError(f"{spec.name}: {profile} sizes must be a {spec.config_type.__name__}.")
    for other in _REGISTRY.values():
        if other.field == spec.field and (other.config_type, other.study, other.small) != (
            spec.config_type,
            spec.study,
            spec.small,
        ):
            raise ValueError(f"{spec.name} and {other.name} share field {spec.field!r} but not its sizes.")


def names() -> tuple[str, ...]:
    """Registered metric names, in registration order."""
    return tuple(_REGISTRY)


def study_names() -> tuple[str, ...]:
    """The paper's metrics among the registered ones, in registration order: the study's `metrics`."""
    return tuple(name for name, spec in _REGISTRY.items() if spec.in_study)


def unused_opt_in_fields(chosen: tuple[str, ...]) -> set[str]:
    """Settings fields that only opt-in metrics outside `chosen` read: left out of the run_id."""
    used = {spec.field for spec in _REGISTRY.values() if spec.in_study or spec.name in chosen}
    return {spec.field for spec in _REGISTRY.values()} - used


def get(name: str) -> MetricSpec:
    """The registration of metric `name`; an unknown name is a named error listing the choices."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown metric {name!r}; choose from {names()}.")
    return _REGISTRY[name]


def profile(kind: str) -> dict[str, Any]:
    """Per MetricsConfig field the registered sizes of profile `kind` ("study" or "small")."""
    if kind not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {kind!r}.")
    return {spec.field: getattr(spec, kind) for spec in _REGISTRY.values()}
