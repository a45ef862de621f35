"""Import disentanglement_lib 1.5's metric modules without TensorFlow, for the oracle tests only.

Its metric code needs just numpy/sklearn, but it decorates functions with the old `gin.tf` module and the
`blacklist=`/`whitelist=` keywords that gin-config has since renamed; both are mapped here.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import SimpleNamespace

MODULES = (
    "utils",
    "mig",
    "dci",
    "modularity_explicitness",
    "sap_score",
    "unsupervised_metrics",
    "beta_vae",
    "factor_vae",
    "downstream_task",
)


def _patch_gin():
    import gin

    if getattr(gin.configurable, "_dlib_shim", False):
        return gin
    original = gin.configurable

    @functools.wraps(original)
    def configurable(*args, blacklist=None, whitelist=None, **kwargs):
        if blacklist is not None:
            kwargs["denylist"] = blacklist
        if whitelist is not None:
            kwargs["allowlist"] = whitelist
        return original(*args, **kwargs)

    configurable._dlib_shim = True
    gin.configurable = configurable
    sys.modules.setdefault("gin.tf", gin)
    gin.tf = gin
    return gin


def load() -> SimpleNamespace | None:
    """disentanglement_lib's metric modules (and gin) as a namespace; None when it is not installed."""
    if importlib.util.find_spec("disentanglement_lib") is None:
        return None
    gin = _patch_gin()
    from importlib import import_module

    modules = {name: import_module(f"disentanglement_lib.evaluation.metrics.{name}") for name in MODULES}
    gin.parse_config(["discretizer.discretizer_fn = @histogram_discretizer", "discretizer.num_bins = 20"])
    return SimpleNamespace(gin=gin, **modules)
