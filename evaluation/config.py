"""MetricsConfig: which metrics run, their sample sizes, seeds and the GBT backend; `study()` holds
disentanglement_lib's unsupervised_study_v1 settings, `small()` a profile for demos and tests, both
assembled from the sizes each metric registered (`evaluation.registry`). Also an OmegaConf structured
config (`OmegaConf.structured(MetricsConfig.study())`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluation import registry
from evaluation._fields import as_tuples
from evaluation.estimators import GBT_BACKENDS
from evaluation.metrics import METRICS
from evaluation.metrics.beta_vae import BetaVAEConfig
from evaluation.metrics.downstream import DownstreamConfig
from evaluation.metrics.factor_vae import FactorVAEConfig
from evaluation.metrics.sap import SAPConfig
from evaluation.metrics.sizes import SampleConfig, SplitConfig

__all__ = [
    "METRICS",
    "BetaVAEConfig",
    "DownstreamConfig",
    "FactorVAEConfig",
    "MetricsConfig",
    "SAPConfig",
    "SampleConfig",
    "SplitConfig",
]


def _study(name: str) -> Any:
    """The default of MetricsConfig field `name`: the study sizes its metric registered."""
    return field(default_factory=lambda: registry.profile("study")[name])


@dataclass(frozen=True)
class MetricsConfig:
    """Everything that decides a score. Defaults are the study's settings (`MetricsConfig.study()`).

    `sample_seed` seeds the ground-truth samples; with an int every model of a data set is scored on the same
    samples (disentanglement_lib's choice), with None the `seed` passed to `evaluate` is used instead.
    `estimator_seed` is the random state of every classifier. `gbt_backend` is "sklearn" (faithful) or
    "lightgbm" (fast, approximate). `n_jobs` worker processes run the classifier fits (None: all cores).
    `encode_batch_size` is the number of images per call of the representation function.
    `sampled_metrics` are the metrics scored on the sampled representation z ~ q(z|x); None scores all of
    `metrics` on it, as disentanglement_lib does. A subset (e.g. only `unsupervised`, whose Gaussian total
    correlation of the sampled codes is the paper's Fig. 1) halves the encoding work of a CPU-budgeted grid.
    """

    metrics: tuple[str, ...] = field(default_factory=registry.study_names)
    sampled_metrics: tuple[str, ...] | None = None
    sample_seed: int | None = 0
    estimator_seed: int = 0
    num_bins: int = 20
    gbt_backend: str = "sklearn"
    n_jobs: int | None = None
    encode_batch_size: int = 4_096
    # One field per registered settings field; defaults are the registered study sizes.
    beta_vae_score: BetaVAEConfig = _study("beta_vae_score")
    factor_vae_score: FactorVAEConfig = _study("factor_vae_score")
    mig: SampleConfig = _study("mig")
    dci: SplitConfig = _study("dci")
    modularity_explicitness: SplitConfig = _study("modularity_explicitness")
    sap_score: SAPConfig = _study("sap_score")
    unsupervised: SampleConfig = _study("unsupervised")
    downstream: DownstreamConfig = _study("downstream")

    def __post_init__(self) -> None:
        as_tuples(self, "metrics", "sampled_metrics")
        unknown = [m for m in self.metrics if m not in registry.names()]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; choose from {registry.names()}.")
        outside = [m for m in self.sampled_metrics or () if m not in self.metrics]
        if outside:
            raise ValueError(f"sampled_metrics {outside} are not in metrics {list(self.metrics)}.")
        if self.gbt_backend not in GBT_BACKENDS:
            raise ValueError(f"gbt_backend must be one of {GBT_BACKENDS}; got {self.gbt_backend!r}.")
        if self.n_jobs is not None and self.n_jobs < 1:
            raise ValueError(f"n_jobs must be >= 1 or None (all cores); got {self.n_jobs}.")
        if self.num_bins < 1 or self.encode_batch_size < 1:
            raise ValueError("num_bins and encode_batch_size must be >= 1.")

    @classmethod
    def study(cls) -> MetricsConfig:
        """The study's settings (Locatello et al. 2019 / disentanglement_lib unsupervised_study_v1): every
        metric's registered study sizes."""
        return cls(metrics=registry.study_names(), **registry.profile("study"))

    @classmethod
    def small(cls) -> MetricsConfig:
        """Small sizes for demos and tests (every metric's registered small sizes): every metric in seconds on
        a laptop; scores are noisier."""
        return cls(**registry.profile("small"), encode_batch_size=1_024)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MetricsConfig:
        """Build from a plain mapping, e.g. the `metrics` of a stored run's `config_json`; unknown keys are a
        named error. (The sweep gets its MetricsConfig from Hydra's structured config, not from here.)"""
        return _build(cls, values, "metrics")

    def for_representation(self, kind: str) -> MetricsConfig:
        """The config scoring representation `kind` ("mean" or "sampled"): `sampled_metrics` for sampled."""
        if kind != "sampled" or self.sampled_metrics is None:
            return self
        return dataclasses.replace(self, metrics=self.sampled_metrics)

    def identity(self) -> dict[str, Any]:
        """The settings that enter a run_id: `to_dict()` without the settings of opt-in metrics it leaves
        unused (so registering a new metric leaves every existing run_id as it was)."""
        skipped = registry.unused_opt_in_fields(self.metrics)
        return {k: v for k, v in self.to_dict().items() if k not in skipped}

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-friendly dict (tuples as lists) that `from_dict` reads back."""
        return _plain(dataclasses.asdict(self))


def _build(cls: type, values: Mapping[str, Any], where: str) -> Any:
    """Dataclass `cls` from a mapping, recursing into nested dataclass fields; `where` names it in errors."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {where}; valid keys: {sorted(fields)}.")
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        default = (
            fields[name].default_factory() if callable(fields[name].default_factory) else fields[name].default
        )
        # Nested settings are built from their dict; lists become tuples in the dataclasses' __post_init__.
        nested = dataclasses.is_dataclass(default)
        kwargs[name] = _build(type(default), value, f"{where}.{name}") if nested else value
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value
