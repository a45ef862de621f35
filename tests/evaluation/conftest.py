"""Fixtures of the evaluation tests."""

import pytest

from evaluation.theorem1 import FactorizedUniform


@pytest.fixture
def small_data():
    """Three factors of 3, 4 and 5 values: fast classifiers, every class present in small samples."""
    return FactorizedUniform((3, 4, 5))
