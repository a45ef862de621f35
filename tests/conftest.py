"""Shared test setup: JAX on the CPU with 64-bit off, one thread pool per process, small caches under tmp."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")
