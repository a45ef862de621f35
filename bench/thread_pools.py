"""Training throughput of concurrent jobs per size of XLA's CPU thread pools (`PJRT_NPROC`).

    .venv/bin/python bench/thread_pools.py --jobs 2 --pool-threads 1 2 8 --rounds 8 --steps 30 [--json]

A Ray sweep on a CPU host runs one job per `launcher.job_num_cpus` CPUs, each in its own worker process. XLA
sizes every process's CPU thread pools to all the host's cores unless `PJRT_NPROC` says otherwise, so without
it the jobs' threads outnumber the cores; the sweep sets it to the CPUs a job asks for
(`sweep.ray_backend.job_environment`). This bench starts `--jobs` processes per pool size, each with the
β-VAE training step (R = 1, batch 64, this platform's defaults, `keep_scratch_memory` as in training), and
times blocks of `--steps` steps that all processes of a group run at once. `--torch` adds a group of as many
PyTorch processes, one thread each (`bench/torch_reference.py`, dev-only), the same study as PyTorch would
best run it on these cores. The groups take turns for `--rounds` rounds, so they share the machine's load.
Rows: median and fastest milliseconds per run-step (the processes' mean seconds per step over their number),
the median speed against the first group, and the paired speed round by round with its interval
(bench/_paired.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
from multiprocessing.connection import Connection

from _output import machine, print_rows
from _paired import paired_speed


def _serve(conn: Connection, threads: int) -> None:
    """Child: compile and warm up the step on `threads` pool threads, then run blocks of steps on request
    (None ends)."""
    from models.host_memory import keep_scratch_memory

    os.environ["PJRT_NPROC"] = str(threads)  # read when JAX starts its CPU backend, below
    keep_scratch_memory()  # before JAX starts its CPU backend, as a training process does
    from train import compiled_single_step, timed_steps

    program, (state, *args) = compiled_single_step()
    _, state = timed_steps(program, state, args, 3)
    conn.send("ready")
    while (steps := conn.recv()) is not None:
        elapsed, state = timed_steps(program, state, args, steps)
        conn.send(elapsed.wall / steps)


class JobGroup:
    """`jobs` child processes whose XLA CPU thread pools have `threads` threads each."""

    def __init__(self, jobs: int, threads: int) -> None:
        self.name = f"jax, {threads}-thread pools"
        context = multiprocessing.get_context("spawn")
        self._conns, self._processes = [], []
        for _ in range(jobs):
            conn, child_end = context.Pipe()
            process = context.Process(target=_serve, args=(child_end, threads), daemon=True)
            process.start()
            self._conns.append(conn)
            self._processes.append(process)
        for conn in self._conns:
            if conn.recv() != "ready":
                raise RuntimeError("a bench child failed to start")

    def seconds_per_run_step(self, steps: int) -> float:
        """`steps` steps run by all children at once: their mean seconds per step, over their count."""
        for conn in self._conns:
            conn.send(steps)
        return statistics.mean(conn.recv() for conn in self._conns) / len(self._conns)

    def close(self) -> None:
        for conn in self._conns:
            conn.send(None)
        for process in self._processes:
            process.join(timeout=60)


class TorchGroup:
    """`jobs` PyTorch twin processes of one thread each (dev-only; needs torch)."""

    def __init__(self, jobs: int) -> None:
        from torch_reference import TorchProcess

        self.name = "torch, 1 thread"
        self._processes = [TorchProcess() for _ in range(jobs)]

    def seconds_per_run_step(self, steps: int) -> float:
        """As `JobGroup.seconds_per_run_step` (each block after one untimed warm-up step)."""
        for process in self._processes:
            process.start(steps=steps, warmup=1, threads=1)
        return statistics.mean(process.result()[0] for process in self._processes) / len(self._processes)

    def close(self) -> None:
        for process in self._processes:
            process.close()


def thread_pools(jobs: int, pool_threads: list[int], rounds: int, steps: int, torch: bool) -> list[dict]:
    """One row per group: milliseconds per run-step of `jobs` concurrent training processes."""
    groups: list[JobGroup | TorchGroup] = [JobGroup(jobs, threads) for threads in pool_threads]
    if torch:
        groups.append(TorchGroup(jobs))
    samples: dict[str, list[float]] = {group.name: [] for group in groups}
    try:
        for _ in range(rounds):
            for group in groups:
                samples[group.name].append(group.seconds_per_run_step(steps))
    finally:
        for group in groups:
            group.close()
    first = statistics.median(samples[groups[0].name])
    return [
        {
            "machine": machine(),
            "jobs": jobs,
            "group": name,
            "ms_per_run_step": round(1e3 * statistics.median(values), 2),
            "fastest_ms_per_run_step": round(1e3 * min(values), 2),
            "speed_vs_first": round(first / statistics.median(values), 3),
            **{key: round(value, 3) for key, value in paired_speed(samples[groups[0].name], values).items()},
            "rounds": rounds,
        }
        for name, values in samples.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list of result rows")
    parser.add_argument("--jobs", type=int, default=2, help="concurrent training processes per group")
    parser.add_argument("--pool-threads", nargs="+", type=int, default=[1, 2, 8], help="PJRT_NPROC per group")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed block")
    parser.add_argument("--torch", action="store_true", help="add a group of one-thread PyTorch processes")
    args = parser.parse_args()
    rows = thread_pools(args.jobs, args.pool_threads, args.rounds, args.steps, args.torch)
    print_rows(rows, args.json)


if __name__ == "__main__":
    main()
