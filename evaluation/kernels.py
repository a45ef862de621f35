"""Pure metric kernels on arrays: codes [N, d] float, factors [N, K] integer class indices.

Each equals disentanglement_lib 1.5's computation on the same arrays (same sklearn); see docs/evaluation.md.
They live in their metric's module (`evaluation.metrics.<name>`); this module gathers them.
"""

from evaluation._discretize import discrete_entropy, discrete_mutual_info, histogram_discretize
from evaluation.metrics.dci import completeness, dci, disentanglement
from evaluation.metrics.mig import mig
from evaluation.metrics.modularity import explicitness, modularity, modularity_from_mutual_info
from evaluation.metrics.sap import sap
from evaluation.metrics.unsupervised import (
    code_covariance,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    mutual_info_score,
    unsupervised_scores,
)

__all__ = [
    "code_covariance",
    "completeness",
    "dci",
    "discrete_entropy",
    "discrete_mutual_info",
    "disentanglement",
    "explicitness",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "histogram_discretize",
    "mig",
    "modularity",
    "modularity_from_mutual_info",
    "mutual_info_score",
    "sap",
    "unsupervised_scores",
]
