"""Classifier fits as picklable tasks, so DCI, downstream tasks, explicitness and SAP can run their many
independent fits in worker processes (or Ray tasks) through one `map_fn`."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from evaluation.estimators import feature_importances, fit_lightgbm_train_accuracy, make_estimator

MapFn = Callable[[Callable[[Any], Any], Iterable[Any]], list]


@dataclass(frozen=True)
class FitTask:
    """One classifier fit: train on (x_train, y_train), score on train and test with `score`."""

    estimator: str
    seed: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    score: str = "accuracy"  # or "macro_roc_auc"

    @property
    def cost(self) -> int:
        """A rough relative cost (points x classes) used to start the longest fits first."""
        return int(self.x_train.shape[0] * max(2, np.unique(self.y_train).size))


@dataclass(frozen=True)
class FitResult:
    """Train and test score of one fit, and the feature importances for tree models (else None)."""

    train_score: float
    test_score: float
    importances: np.ndarray | None
    error: str | None = None  # why the fit failed (sklearn's ValueError message), else None


def macro_roc_auc(classes: np.ndarray, labels: np.ndarray, proba: np.ndarray) -> float:
    """Mean one-vs-rest ROC-AUC over the classifier's classes, on one-hot labels.

    Equals sklearn's macro `roc_auc_score` on the one-hot matrix (disentanglement_lib's explicitness); a class
    absent from `labels` (AUC undefined) is left out of the mean instead of raising.
    """
    onehot = labels[:, None] == classes[None, :]
    present = [j for j in range(classes.size) if 0 < onehot[:, j].sum() < labels.size]
    if not present:
        raise ValueError("ROC-AUC is undefined: the labels hold a single class; sample more test points.")
    return float(np.mean([metrics.roc_auc_score(onehot[:, j], proba[:, j]) for j in present]))


@functools.cache
def _thread_pools() -> ThreadpoolController:
    """This process's OpenMP/BLAS pools, inspected once (2 ms a time) and reused for every fit."""
    return ThreadpoolController()


def run_fit(task: FitTask) -> FitResult:
    """Fit and score the task's classifier; a ValueError (e.g. one class in a CV fold) becomes its error.

    Runs with one thread (parallelism comes from running fits in processes: OpenMP/BLAS thread teams
    contending for busy cores made a small LogisticRegressionCV fit 25x slower on the 2-core machine).
    Top-level so that worker processes can unpickle it.
    """
    try:
        with warnings.catch_warnings(), _thread_pools().limit(limits=1):
            # Stopping at max_iter is part of the pinned study setting, as in disentanglement_lib.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return _fit_and_score(task)
    except ValueError as error:
        return FitResult(math.nan, math.nan, None, f"{task.estimator}: {error}")


def _fit_and_score(task: FitTask) -> FitResult:
    if task.score not in ("accuracy", "macro_roc_auc"):
        raise ValueError(f"unknown score {task.score!r}; expected 'accuracy' or 'macro_roc_auc'.")
    model = make_estimator(task.estimator, task.seed)
    train = None
    if task.estimator == "gbt_lightgbm" and task.score == "accuracy":
        train = fit_lightgbm_train_accuracy(model, task.x_train, task.y_train)
    else:
        model.fit(task.x_train, task.y_train)
    if task.score == "accuracy":
        if train is None:
            train = float(np.mean(model.predict(task.x_train) == task.y_train))
        test = float(np.mean(model.predict(task.x_test) == task.y_test))
    else:
        train = macro_roc_auc(model.classes_, task.y_train, model.predict_proba(task.x_train))
        test = macro_roc_auc(model.classes_, task.y_test, model.predict_proba(task.x_test))
    importances = feature_importances(model) if task.estimator.startswith("gbt_") else None
    return FitResult(train, test, importances)


def sequential_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> list:
    """The in-process `map_fn`: apply `fn` to each item in turn."""
    return [fn(item) for item in items]


def raise_failed(results: Sequence[FitResult]) -> None:
    """Raise the first failed fit's error as a ValueError."""
    for result in results:
        if result.error is not None:
            raise ValueError(result.error)


def run_tasks(
    tasks: Sequence[FitTask], map_fn: MapFn | None = None, keep_errors: bool = False
) -> list[FitResult]:
    """Run `tasks` through `map_fn` (default: in process), longest first; results in task order.

    A failed fit raises its ValueError unless `keep_errors` (then it is returned with `error` set).
    """
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].cost)
    results = list((map_fn or sequential_map)(run_fit, [tasks[i] for i in order]))
    if len(results) != len(tasks):
        raise RuntimeError(f"map_fn returned {len(results)} results for {len(tasks)} tasks.")
    out: list[FitResult | None] = [None] * len(tasks)
    for position, result in zip(order, results, strict=True):
        out[position] = result
    if not keep_errors:
        raise_failed(out)  # type: ignore[arg-type]
    return out  # type: ignore[return-value]
