"""Pure metric kernels on arrays: codes [N, d] float, factors [N, K] integer class indices.

Each equals disentanglement_lib 1.5's computation on the same arrays (same sklearn); see docs/evaluation.md.
"""

from evaluation._dci import completeness, dci, disentanglement
from evaluation._discretize import discrete_entropy, discrete_mutual_info, histogram_discretize
from evaluation._mig import mig
from evaluation._modularity import explicitness, modularity, modularity_from_mutual_info
from evaluation._sap import sap
from evaluation._unsupervised import (
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
