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
) -> Callable[[Planner], Planner]:
    """Decorator registering a planner as metric `name`; its settings live in MetricsConfig field `field`
    (default: `name`). Metrics sharing a field (downstream_lr/_gbt) must register the same sizes."""

    def decorate(plan: Planner) -> Planner:
        spec = MetricSpec(name, plan, config, field or name, study, small, scores)
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
