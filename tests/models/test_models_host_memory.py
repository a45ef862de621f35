"""keep_scratch_memory: XLA:CPU's scratch memory is reused between executions instead of faulted in anew."""

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from models import host_memory

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRATCH_PAGES = 4096 * 4096 * 4 // 4096  # the program's 64 MB intermediate, in 4 KiB pages

CALLS = 21
# A program whose one intermediate (64 MB, above glibc's 32 MB mmap ceiling) is XLA scratch memory; prints the
# minor page faults of each execution after warm-up.
PROGRAM = """
import json, resource, sys
from models.host_memory import keep_scratch_memory
applied = keep_scratch_memory() if sys.argv[1] == "keep" else False
import jax, jax.numpy as jnp

@jax.jit
def program(a, b, c):
    return jax.lax.optimization_barrier(a @ b) @ c

a, b, c = jnp.ones((4096, 64)), jnp.ones((64, 4096)), jnp.ones((4096, 8))
for _ in range(3):
    program(a, b, c).block_until_ready()
faults = []
for _ in range(int(sys.argv[2])):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    program(a, b, c).block_until_ready()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps({"applied": applied, "faults_per_call": faults}))
"""


def _faults_per_call(mode: str) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-c", PROGRAM, mode, str(CALLS)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_scratch_memory_is_reused_instead_of_faulted_in_each_execution():
    kept = _faults_per_call("keep")
    plain = _faults_per_call("plain")
    assert kept["applied"] and not plain["applied"]
    # Without the settings every execution maps its scratch anew (the premise; should a later jaxlib keep its
    # scratch itself, this fails and the settings can go).
    assert statistics.median(plain["faults_per_call"]) > 0.9 * SCRATCH_PAGES, plain
    # With them a typical execution reuses the heap's pages. Now and then glibc grows the heap by one scratch
    # instead (a small allocation split the freed block), so single executions may still fault it all in.
    assert statistics.median(kept["faults_per_call"]) < 0.01 * SCRATCH_PAGES, kept


@pytest.mark.parametrize(
    ("platforms", "on_cpu"),
    [("cpu", True), ("cpu,cuda", True), ("cuda", False), ("tpu,cpu", False), (" cpu ", True)],
)
def test_platform_choice_follows_jax_platforms(monkeypatch, platforms, on_cpu):
    monkeypatch.setenv("JAX_PLATFORMS", platforms)
    assert host_memory._jax_runs_on_cpu() is on_cpu


def test_nothing_is_set_when_jax_will_use_an_accelerator(monkeypatch):
    monkeypatch.setattr(host_memory, "_applied", False)
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    assert host_memory.keep_scratch_memory() is False
    assert host_memory._applied is False
