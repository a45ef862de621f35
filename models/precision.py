"""The float32 matrix-product precision a compiled program runs at (`TrainConfig.matmul_precision`).

JAX reads its default matmul precision when a jitted function is traced and lowered, i.e. during the first
call with given shapes, and keeps the setting in the compilation cache key. So the setting must surround the
*call* of the jitted function, not its body: `at_precision` wraps a callable that way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import jax

from models.config import MatmulPrecision

F = TypeVar("F", bound=Callable)


def at_precision(fn: F, precision: MatmulPrecision) -> F:
    """`fn`, called (and so traced and compiled) under JAX's default matmul `precision`.

    "highest" computes float32 products in float32, as disentanglement_lib's P100 runs did; "default" lets a
    GPU use TF32 (10-bit mantissa inputs) for them, faster but not bit-faithful (docs/benchmarks.md). XLA:CPU
    computes float32 products in float32 under either.
    """

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with jax.default_matmul_precision(precision):
            return fn(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
