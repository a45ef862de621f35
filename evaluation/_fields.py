"""Checks shared by the frozen config dataclasses: sample sizes of at least 2, and tuples where OmegaConf
gives lists (`OmegaConf.to_object` builds the dataclasses with a list in every tuple field)."""

from __future__ import annotations


def as_tuples(owner: object, *names: str) -> None:
    """Store the sequence fields `names` of frozen dataclass `owner` as tuples (lists, OmegaConf ListConfigs;
    None stays None), so that equality, hashing and `to_dict` see one type."""
    for name in names:
        value = getattr(owner, name)
        if value is not None and not isinstance(value, tuple):
            object.__setattr__(owner, name, tuple(value))


def at_least_two(owner: object, *names: str) -> None:
    """Raise when a sample size of `owner` is below 2 (no variance, split or vote is defined below that)."""
    for name in names:
        values = getattr(owner, name)
        for value in values if isinstance(values, tuple) else (values,):
            if value < 2:
                raise ValueError(
                    f"{type(owner).__name__}.{name} = {values} is too small; sample sizes must be >= 2."
                )
