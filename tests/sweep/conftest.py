"""Fixtures of the sweep tests."""

import sys
from pathlib import Path

import pytest

# `tests/` is on sys.path (rootdir conftest, prepend import mode), where the folders `tests/sweep` and
# `tests/results_schema` would shadow the real packages as namespace packages: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def jax_cache(tmp_path_factory) -> Path:
    """One persistent JAX compilation cache for the session: each program compiles once for all tests."""
    return tmp_path_factory.mktemp("jax_cache")
