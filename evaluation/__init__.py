"""Evaluation of learned representations: disentanglement metrics, unsupervised scores and downstream tasks.

`metrics` holds one module per metric (kernel, settings, planner), each registered in `registry` with its
sizes; `kernels` gathers the pure array metrics; `evaluate` scores R replicas of a model at once from a
batched representation function; `theorem1` builds the entangling map of Locatello et al.'s Theorem 1.
"""

from evaluation import kernels, theorem1
from evaluation.config import METRICS, MetricsConfig
from evaluation.estimators import GBT_BACKENDS
from evaluation.evaluate import ScoreRecord, evaluate
from evaluation.parallel import local_map

__all__ = [
    "GBT_BACKENDS",
    "METRICS",
    "MetricsConfig",
    "ScoreRecord",
    "evaluate",
    "kernels",
    "local_map",
    "theorem1",
]
