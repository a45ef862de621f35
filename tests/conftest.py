"""Shared test setup: JAX runs on the CPU (CI has no accelerator) and Ray prints every worker's log lines."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")
