"""The study's classifiers with every parameter pinned (sklearn's defaults changed since 2018), and the
record of what was used. Two gradient-boosted-tree backends: `sklearn` (faithful to disentanglement_lib)
and `lightgbm` (fast, approximate; chosen only by an explicit config value)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import sklearn
from sklearn import ensemble, linear_model, model_selection, svm

GBT_BACKENDS = ("sklearn", "lightgbm")

# sklearn 1.9 defaults, written out so a future default change cannot alter the study's scores.
LOGISTIC = {
    "C": 1.0,
    "l1_ratio": 0.0,
    "solver": "lbfgs",
    "max_iter": 100,
    "tol": 1e-4,
    "fit_intercept": True,
    "intercept_scaling": 1,
    "class_weight": None,
    "dual": False,
    "warm_start": False,
}
LOGISTIC_CV = {
    "Cs": 10,
    "l1_ratios": (0.0,),
    "scoring": "accuracy",
    "solver": "lbfgs",
    "max_iter": 100,
    "tol": 1e-4,
    "fit_intercept": True,
    "intercept_scaling": 1.0,
    "class_weight": None,
    "dual": False,
    "refit": True,
    "use_legacy_attributes": False,
}
LOGISTIC_CV_FOLDS = 5  # KFold(n_splits=5), unshuffled, as disentanglement_lib.
# dual=False is what dual="auto" resolves to for one feature and more than one point.
LINEAR_SVC = {
    "C": 0.01,
    "class_weight": "balanced",
    "dual": False,
    "loss": "squared_hinge",
    "penalty": "l2",
    "max_iter": 1000,
    "tol": 1e-4,
    "multi_class": "ovr",
    "fit_intercept": True,
    "intercept_scaling": 1,
}
GBT_SKLEARN = {
    "loss": "log_loss",
    "learning_rate": 0.1,
    "n_estimators": 100,
    "subsample": 1.0,
    "max_depth": 3,
    "min_samples_split": 2,
    "min_samples_leaf": 1,
    "min_weight_fraction_leaf": 0.0,
    "min_impurity_decrease": 0.0,
    "max_features": None,
    "max_leaf_nodes": None,
    "ccp_alpha": 0.0,
    "init": None,
    "n_iter_no_change": None,
    "validation_fraction": 0.1,
    "tol": 1e-4,
    "warm_start": False,
}
# LightGBM shaped like the sklearn model: 100 rounds of depth-3 trees (8 leaves), shrinkage 0.1, no
# regularization, leaves down to one sample; histogram splits (255 bins) are the approximation. Row-wise
# histograms build the same trees ~20% faster than column-wise ones for these 10-column codes (bench).
GBT_LIGHTGBM = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "max_depth": 3,
    "num_leaves": 8,
    "min_child_samples": 1,
    "min_child_weight": 1e-3,
    "min_split_gain": 0.0,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "reg_alpha": 0.0,
    "reg_lambda": 0.0,
    "max_bin": 255,
    "importance_type": "gain",
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}

ESTIMATOR_PARAMS: dict[str, dict[str, Any]] = {
    "logistic": LOGISTIC,
    "logistic_cv": {**LOGISTIC_CV, "cv": f"KFold(n_splits={LOGISTIC_CV_FOLDS})"},
    "linear_svc": LINEAR_SVC,
    "gbt_sklearn": GBT_SKLEARN,
    "gbt_lightgbm": GBT_LIGHTGBM,
}


def gbt_estimator_name(backend: str) -> str:
    """The estimator name of a `gbt_backend` value; an unknown backend is an error, never a fallback."""
    if backend not in GBT_BACKENDS:
        raise ValueError(f"gbt_backend must be one of {GBT_BACKENDS}; got {backend!r}.")
    return f"gbt_{backend}"


def make_estimator(name: str, seed: int) -> Any:
    """Build a fresh classifier `name` with the pinned parameters and random state `seed`."""
    if name == "logistic":
        return linear_model.LogisticRegression(random_state=seed, **LOGISTIC)
    if name == "logistic_cv":
        cv = model_selection.KFold(n_splits=LOGISTIC_CV_FOLDS)
        return linear_model.LogisticRegressionCV(cv=cv, random_state=seed, **LOGISTIC_CV)
    if name == "linear_svc":
        return svm.LinearSVC(random_state=seed, **LINEAR_SVC)
    if name == "gbt_sklearn":
        return ensemble.GradientBoostingClassifier(random_state=seed, **GBT_SKLEARN)
    if name == "gbt_lightgbm":
        import lightgbm  # imported lazily: only the fast backend needs it

        return lightgbm.LGBMClassifier(random_state=seed, **GBT_LIGHTGBM)
    raise ValueError(f"unknown estimator {name!r}; expected one of {sorted(ESTIMATOR_PARAMS)}.")


def fit_lightgbm_train_accuracy(model: Any, x_train: np.ndarray, y_train: np.ndarray) -> float:
    """Fit a LightGBM classifier and return its training accuracy without predicting the training set again.

    LightGBM keeps the boosted scores of its training rows; evaluating its error metric on them costs a few
    percent of the fit, while `predict` on the 10,000 training points of a 40-class factor (4,000 trees)
    costs as much as the fit itself. The error is 1 - accuracy of the argmax class, except that LightGBM's
    multiclass error counts a tie for the top score as wrong where argmax would pick the first tied class.
    `eval_set` with the training arrays themselves is the wrapper's way to reuse the training scores
    (`eval_X` builds a second data set); its deprecation warning is silenced here, and lightgbm is pinned.
    """
    metric = "binary_error" if np.unique(y_train).size == 2 else "multi_error"
    model.set_params(metric=metric)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'eval_set' is deprecated")
        model.fit(x_train, y_train, eval_set=[(x_train, y_train)])
    return 1.0 - float(model.evals_result_["training"][metric][-1])


def feature_importances(model: Any) -> np.ndarray:
    """Per-feature importance summing to 1 (all zeros when no split was made), for either GBT backend."""
    raw = np.abs(np.asarray(model.feature_importances_, dtype=np.float64))
    total = raw.sum()
    return raw / total if total > 0 else raw


def estimator_record(name: str, seed: int) -> dict[str, Any]:
    """The params to store with a score: estimator, its pinned parameters, seed and library versions."""
    record: dict[str, Any] = {
        "backend": "lightgbm" if name == "gbt_lightgbm" else "sklearn",
        "estimator": name,
        "estimator_params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in ESTIMATOR_PARAMS[name].items()
        },
        "estimator_seed": seed,
        "sklearn_version": sklearn.__version__,
    }
    if name == "gbt_lightgbm":
        import lightgbm

        record["lightgbm_version"] = lightgbm.__version__
    return record
