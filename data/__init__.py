"""Ground-truth data sets of the study: published files when present, offline renderers otherwise.

import data
ds = data.load_dataset("dsprites")          # GroundTruthData
ds.factor_sizes                             # (3, 6, 40, 32, 32)
x = ds.sample_observations(64, numpy.random.default_rng(0))
"""

from data._base import GroundTruthData
from data._errors import DataFormatError, DatasetUnavailableError
from data._registry import DATASET_NAMES, Availability, dataset_availability, load_dataset

__all__ = [
    "DATASET_NAMES",
    "Availability",
    "DataFormatError",
    "DatasetUnavailableError",
    "GroundTruthData",
    "dataset_availability",
    "load_dataset",
]
