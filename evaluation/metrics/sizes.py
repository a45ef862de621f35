"""Settings types several metrics share: one sample (`SampleConfig`) or a train/test split (`SplitConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation._fields import at_least_two


@dataclass(frozen=True)
class SplitConfig:
    """A metric fitted on `num_train` points and tested on `num_test` fresh ones."""

    num_train: int = 10_000
    num_test: int = 5_000

    def __post_init__(self) -> None:
        at_least_two(self, "num_train", "num_test")


@dataclass(frozen=True)
class SampleConfig:
    """A metric computed on one sample of `num_train` points."""

    num_train: int = 10_000

    def __post_init__(self) -> None:
        at_least_two(self, "num_train")
