"""Shared test setup: JAX runs on the CPU (CI has no accelerator) and Ray prints every worker's log lines.

The test process keeps XLA's scratch memory between executions, as every training process does
(models/host_memory.py); the settings must precede JAX's first computation.
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")

from models.host_memory import keep_scratch_memory  # noqa: E402  (after JAX_PLATFORMS is set)

keep_scratch_memory()
