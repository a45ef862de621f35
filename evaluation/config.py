"""MetricsConfig: which metrics run, their sample sizes, seeds and the GBT backend; `study()` holds
disentanglement_lib's unsupervised_study_v1 settings, `small()` a profile for demos and tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluation.estimators import GBT_BACKENDS

METRICS = (
    "beta_vae_score",
    "factor_vae_score",
    "mig",
    "dci",
    "modularity_explicitness",
    "sap_score",
    "unsupervised",
    "downstream_lr",
    "downstream_gbt",
)


def _at_least_two(owner: object, *names: str) -> None:
    """Raise when a sample size of `owner` is below 2 (no variance, split or vote is defined below that)."""
    for name in names:
        values = getattr(owner, name)
        for value in values if isinstance(values, tuple) else (values,):
            if value < 2:
                raise ValueError(
                    f"{type(owner).__name__}.{name} = {values} is too small; sample sizes must be >= 2."
                )


@dataclass(frozen=True)
class BetaVAEConfig:
    """BetaVAE score: `batch_size` pairs per point, `num_train`/`num_eval` points."""

    batch_size: int = 64
    num_train: int = 10_000
    num_eval: int = 5_000

    def __post_init__(self) -> None:
        _at_least_two(self, "batch_size", "num_train", "num_eval")


@dataclass(frozen=True)
class FactorVAEConfig:
    """FactorVAE score: batches per vote, votes, points for the global variances, pruning threshold on std."""

    batch_size: int = 64
    num_train: int = 10_000
    num_eval: int = 5_000
    num_variance_estimate: int = 10_000
    prune_threshold: float = 0.05

    def __post_init__(self) -> None:
        _at_least_two(self, "batch_size", "num_train", "num_eval", "num_variance_estimate")


@dataclass(frozen=True)
class SplitConfig:
    """A metric fitted on `num_train` points and tested on `num_test` fresh ones."""

    num_train: int = 10_000
    num_test: int = 5_000

    def __post_init__(self) -> None:
        _at_least_two(self, "num_train", "num_test")


@dataclass(frozen=True)
class SampleConfig:
    """A metric computed on one sample of `num_train` points."""

    num_train: int = 10_000

    def __post_init__(self) -> None:
        _at_least_two(self, "num_train")


@dataclass(frozen=True)
class SAPConfig:
    """SAP: split sizes and the discrete (study) or continuous variant."""

    num_train: int = 10_000
    num_test: int = 5_000
    continuous: bool = False

    def __post_init__(self) -> None:
        _at_least_two(self, "num_train", "num_test")


@dataclass(frozen=True)
class DownstreamConfig:
    """Downstream tasks: training sizes, test size, and the two sizes whose accuracy ratio is efficiency."""

    train_sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)
    num_test: int = 5_000
    efficiency_sizes: tuple[int, int] = (100, 10_000)

    def __post_init__(self) -> None:
        _at_least_two(self, "train_sizes", "num_test")
        if len(self.efficiency_sizes) != 2 or not set(self.efficiency_sizes) <= set(self.train_sizes):
            raise ValueError(
                f"efficiency_sizes {self.efficiency_sizes} must be two of train_sizes {self.train_sizes}."
            )


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

    metrics: tuple[str, ...] = METRICS
    sampled_metrics: tuple[str, ...] | None = None
    sample_seed: int | None = 0
    estimator_seed: int = 0
    num_bins: int = 20
    gbt_backend: str = "sklearn"
    n_jobs: int | None = None
    encode_batch_size: int = 4_096
    beta_vae_score: BetaVAEConfig = field(default_factory=BetaVAEConfig)
    factor_vae_score: FactorVAEConfig = field(default_factory=FactorVAEConfig)
    mig: SampleConfig = field(default_factory=SampleConfig)
    dci: SplitConfig = field(default_factory=SplitConfig)
    modularity_explicitness: SplitConfig = field(default_factory=SplitConfig)
    sap_score: SAPConfig = field(default_factory=SAPConfig)
    unsupervised: SampleConfig = field(default_factory=SampleConfig)
    downstream: DownstreamConfig = field(default_factory=DownstreamConfig)

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; choose from {METRICS}.")
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
        """The study's settings (Locatello et al. 2019 / disentanglement_lib unsupervised_study_v1)."""
        return cls()

    @classmethod
    def small(cls) -> MetricsConfig:
        """Small sizes for demos and tests: every metric in seconds on a laptop; scores are noisier."""
        return cls(
            beta_vae_score=BetaVAEConfig(batch_size=16, num_train=300, num_eval=150),
            factor_vae_score=FactorVAEConfig(
                batch_size=16, num_train=300, num_eval=150, num_variance_estimate=500
            ),
            mig=SampleConfig(num_train=1_000),
            dci=SplitConfig(num_train=300, num_test=150),
            modularity_explicitness=SplitConfig(num_train=1_000, num_test=500),
            sap_score=SAPConfig(num_train=1_000, num_test=500),
            unsupervised=SampleConfig(num_train=1_000),
            downstream=DownstreamConfig(
                train_sizes=(10, 100, 300), num_test=250, efficiency_sizes=(100, 300)
            ),
            encode_batch_size=1_024,
        )

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MetricsConfig:
        """Build from a plain mapping (e.g. Hydra's `metrics` group); unknown keys are a named error."""
        return _build(cls, values, "metrics")

    def for_representation(self, kind: str) -> MetricsConfig:
        """The config scoring representation `kind` ("mean" or "sampled"): `sampled_metrics` for sampled."""
        if kind != "sampled" or self.sampled_metrics is None:
            return self
        return dataclasses.replace(self, metrics=self.sampled_metrics)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-friendly dict (tuples as lists) that `from_dict` reads back."""
        return _plain(dataclasses.asdict(self))


def _build(cls: type, values: Mapping[str, Any], where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {where}; valid keys: {sorted(fields)}.")
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        default = (
            fields[name].default_factory() if callable(fields[name].default_factory) else fields[name].default
        )
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, f"{where}.{name}")
        elif isinstance(default, tuple) or (name == "sampled_metrics" and value is not None):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value
