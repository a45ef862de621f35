"""One module per metric, each holding its kernel, its planner and its registration. Importing this package
fills `evaluation.registry` in the order below, which is the order of METRICS and of every replica's rows."""

from evaluation import registry

# isort: off
# Imported to register, in METRICS' order (a new metric adds its module here).
from evaluation.metrics import beta_vae  # noqa: F401
from evaluation.metrics import factor_vae  # noqa: F401
from evaluation.metrics import mig  # noqa: F401
from evaluation.metrics import dci  # noqa: F401
from evaluation.metrics import modularity  # noqa: F401
from evaluation.metrics import sap  # noqa: F401
from evaluation.metrics import unsupervised  # noqa: F401
from evaluation.metrics import downstream  # noqa: F401
# isort: on

METRICS: tuple[str, ...] = registry.names()

__all__ = ["METRICS"]
