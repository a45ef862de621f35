"""Fixtures of the data tests: procedural dSprites from the shared default cache, loaded once a session."""

from __future__ import annotations

import numpy as np
import pytest

import data


@pytest.fixture(scope="session")
def dsprites() -> data.GroundTruthData:
    """Procedural dSprites from the default cache ($DISENTANGLEMENT_DATA or ~/.cache), rendered once."""
    return data.load_dataset("dsprites", procedural=True)


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator so every test is deterministic."""
    return np.random.default_rng(1234)
