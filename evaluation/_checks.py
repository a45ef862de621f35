"""Input validation shared by the kernels: clear errors instead of crashes deep inside numpy or sklearn."""

from __future__ import annotations

import numpy as np


def as_codes(codes: np.ndarray, name: str = "codes") -> np.ndarray:
    """Return `codes` as a finite float array [N, d]; float32 stays float32 so results match the reference."""
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array [num_points, num_codes]; got shape {arr.shape}.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); sample at least 2 points of at least 1 code.")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    require_finite(arr, name)
    return arr


def require_finite(codes: np.ndarray, name: str = "codes") -> None:
    """Raise when `codes` (last axis: code dimensions) hold NaN or inf, naming the dimensions at fault."""
    bad = ~np.isfinite(codes)
    if bad.any():
        dims = sorted(set(np.nonzero(bad.reshape(-1, codes.shape[-1]))[1].tolist()))
        raise ValueError(
            f"{name} contain {int(bad.sum())} NaN/inf values (code dimensions {dims}); the model probably "
            "diverged. Score only finite representations."
        )


def as_factors(factors: np.ndarray, num_points: int, name: str = "factors") -> np.ndarray:
    """Return `factors` as an int64 array [N, K] of class indices with N equal to the codes' length."""
    arr = np.asarray(factors)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array [num_points, num_factors]; got shape {arr.shape}.")
    if arr.shape[0] != num_points:
        raise ValueError(
            f"{name} has {arr.shape[0]} points but the codes have {num_points}; pass codes and "
            "factors of the same samples."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no factor columns.")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise ValueError(f"{name} must hold integer class indices; got non-integer values.")
        arr = arr.astype(np.int64)
    return arr


def require_points(num_points: int, minimum: int, what: str) -> None:
    """Raise when fewer than `minimum` points are given for `what`."""
    if num_points < minimum:
        raise ValueError(f"{what} needs at least {minimum} points; got {num_points}. Sample more points.")


def require_varied_factors(factors: np.ndarray, name: str = "factors") -> None:
    """Raise when a factor column takes a single value: its entropy is 0 and no score is defined for it."""
    single = [k for k in range(factors.shape[1]) if np.unique(factors[:, k]).size < 2]
    if single:
        raise ValueError(
            f"{name} column(s) {single} take a single value in this sample; drop constant factors (size-1 "
            "factors of the data set) or sample more points."
        )


def train_test_pair(
    codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a train/test split of (codes, factors) and return the checked arrays."""
    x_tr = as_codes(codes_train, "codes_train")
    x_te = as_codes(codes_test, "codes_test")
    if x_tr.shape[1] != x_te.shape[1]:
        raise ValueError(
            f"codes_train has {x_tr.shape[1]} code dimensions but codes_test has {x_te.shape[1]}; "
            "both must come from the same representation."
        )
    y_tr = as_factors(factors_train, x_tr.shape[0], "factors_train")
    y_te = as_factors(factors_test, x_te.shape[0], "factors_test")
    if y_tr.shape[1] != y_te.shape[1]:
        raise ValueError(f"factors_train has {y_tr.shape[1]} factors but factors_test has {y_te.shape[1]}.")
    require_points(x_tr.shape[0], 2, "the training split")
    require_points(x_te.shape[0], 1, "the test split")
    require_varied_factors(y_tr, "factors_train")
    return x_tr, y_tr, x_te, y_te
