"""Fixtures of the sweep tests."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def jax_cache(tmp_path_factory) -> Path:
    """One persistent JAX compilation cache for the session: each program compiles once for all tests."""
    return tmp_path_factory.mktemp("jax_cache")
