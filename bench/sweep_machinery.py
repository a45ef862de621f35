"""Benchmark the sweep machinery (not training): grid expansion and packing, Ray overhead per job, store I/O.

    .venv/bin/python bench/sweep_machinery.py [--json] [--runs 12600] [--replicas 8] [--tasks 200]

Rows:
- `expand_pack`: seconds to compose, expand and pack the paper's 12,600-run grid (goal < 5 s), best of 3.
- `ray_overhead`: seconds Ray adds per job (embedded Ray, a reused `max_calls=0` worker, a job's worth of
  result rows returned), over `--tasks` jobs that do no work; and that overhead as a fraction of a study job
  (300,000 steps at the bench's training throughput) and of a smoke job (`make demo`'s measured job time).
- `store_write`, `store_read_*`, `duckdb_median_by_metric`, `store_compact`: a synthetic store of `--runs`
  runs in jobs of `--replicas`, with 130 score rows (about the study's) and 300 curve points per run,
  written through the sweep's commit protocol and read back with `results_schema.read_table` (and DuckDB).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _output import machine, print_rows

from sweep.grid import expand_grid
from sweep.packing import pack
from sweep.records import curve_rows, run_row, score_rows, to_tables

STUDY_JOB_SECONDS = 300_000 * 64 / 280.0 + 4000.0  # conf/throughput.yaml's cpu row: train + evaluate one run
SMOKE_JOB_SECONDS = 500.0  # a smoke job (R = 1, 300 steps) on the loaded 2-core CPU: train + eval seconds


def bench_expand_pack(repeats: int = 3) -> dict:
    """Best and median seconds (wall, and this process's CPU) to expand and pack the paper's grid."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        _, runs = expand_grid(["sweep=locatello2019"])
        jobs = pack(runs, 8)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "bench": "expand_pack",
        "runs": len(runs),
        "jobs_at_r8": len(jobs),
        "best_s": min(wall),
        "median_s": statistics.median(wall),
        "best_cpu_s": min(cpu),
    }


class _Record:
    """A ScoreRecord look-alike for synthetic score rows."""

    def __init__(self, metric: str, score: str, value: float) -> None:
        self.metric, self.score, self.value, self.params = metric, score, value, {"backend": "sklearn"}


def _study_records(i: int) -> list[_Record]:
    """About the study's score rows per run and representation (65: 3 factors per downstream task)."""
    names = [("beta_vae_score", s) for s in ("train_accuracy", "eval_accuracy")]
    names += [("factor_vae_score", s) for s in ("train_accuracy", "eval_accuracy", "num_active_dims")]
    names += [("mig", "discrete_mig"), ("sap_score", "SAP_score")]
    names += [
        ("dci", s)
        for s in ("disentanglement", "completeness", "informativeness_train", "informativeness_test")
    ]
    names += [
        ("unsupervised", s)
        for s in (
            "gaussian_total_correlation",
            "gaussian_wasserstein_correlation",
            "gaussian_wasserstein_correlation_norm",
            "mutual_info_score",
        )
    ]
    for task in ("downstream_lr", "downstream_gbt"):
        for n in (10, 100, 1000, 10000):
            names += [
                (task, f"{n}:{s}") for s in ("mean_test_accuracy", "min_test_accuracy", "mean_train_accuracy")
            ]
            names += [(task, f"{n}:test_accuracy_factor_{k}") for k in range(3)]
        names.append((task, "sample_efficiency"))
    return [_Record(m, s, 0.001 * i) for m, s in names]


def _job_tables(job, curve_points: int) -> dict:
    """The rows one finished job of the study would commit."""
    rows = {"runs": [], "scores": [], "train_curves": []}
    for i, spec in enumerate(job.runs):
        rows["runs"].append(
            run_row(
                spec,
                job.job_id,
                "bench",
                status="done",
                steps=300_000,
                device="cpu",
                train_seconds=1.0,
                eval_seconds=1.0,
                final_logs={"loss": float(i)},
            )
        )
        for representation in ("mean", "sampled"):
            rows["scores"] += score_rows(spec, representation, _study_records(i), 0)
        curve = [
            {
                "step": s * 1000,
                "loss": 1.0,
                "reconstruction": 1.0,
                "kl": 1.0,
                "regularizer": 1.0,
                "elbo": -1.0,
            }
            for s in range(1, curve_points + 1)
        ]
        rows["train_curves"] += curve_rows(spec, curve)
    return to_tables(rows)


def bench_store(num_runs: int, replicas: int, curve_points: int = 300) -> list[dict]:
    """Write a synthetic store job by job, then read it back and compact it."""
    import duckdb

    from results_schema import read_table
    from sweep.store import commit_job, compact

    _, runs = expand_grid(["sweep=locatello2019"])
    jobs = pack(runs[:num_runs], replicas)
    tables = [_job_tables(job, curve_points) for job in jobs]  # building rows is the workers' cost, not timed
    with tempfile.TemporaryDirectory() as tmp:
        root, recorded = Path(tmp), set()
        start = time.perf_counter()
        for job, job_tables in zip(jobs, tables, strict=True):
            commit_job(root, job.dataset, job.objective, job.job_id, job_tables, recorded)
        write = time.perf_counter() - start
        rows = []
        for name in ("runs", "scores"):
            start = time.perf_counter()
            n = read_table(root, name).num_rows
            rows.append(
                {
                    "bench": f"store_read_{name}",
                    "rows": n,
                    "files": len(jobs),
                    "seconds": time.perf_counter() - start,
                }
            )
        glob = str(root / "scores" / "*" / "*" / "*.parquet")
        start = time.perf_counter()
        duckdb.sql(
            f"select metric, median(value) from read_parquet('{glob}', hive_partitioning=true) "
            "group by metric"
        ).fetchall()
        rows.append(
            {"bench": "duckdb_median_by_metric", "files": len(jobs), "seconds": time.perf_counter() - start}
        )
        start = time.perf_counter()
        report = compact(root)
        rows.append(
            {
                "bench": "store_compact",
                "files_before": report.files_before["scores"],
                "files_after": report.files_after["scores"],
                "seconds": time.perf_counter() - start,
            }
        )
        start = time.perf_counter()
        n = read_table(root, "scores").num_rows
        rows.append(
            {
                "bench": "store_read_scores_compacted",
                "rows": n,
                "files": report.files_after["scores"],
                "seconds": time.perf_counter() - start,
            }
        )
    return [
        {
            "bench": "store_write",
            "runs": num_runs,
            "jobs": len(jobs),
            "seconds": write,
            "ms_per_job": 1000 * write / len(jobs),
        },
        *rows,
    ]


def _noop_job(job_rows: dict) -> dict:
    """A job task body that does no work and returns a job's worth of rows."""
    return job_rows


def bench_ray_overhead(num_tasks: int) -> dict:
    """Seconds Ray adds per job: submit, schedule on a reused worker, return a job's rows, over no-op jobs."""
    import ray

    _, runs = expand_grid(["grid.seeds=8"])
    job = pack(runs, 8)[0]
    payload = {name: table.to_pylist() for name, table in _job_tables(job, 300).items()}
    ray.init(include_dashboard=False, num_cpus=1)
    try:
        task = ray.remote(max_calls=0)(_noop_job).options(num_cpus=1)
        ref = ray.put(payload)
        ray.get(task.remote(ref))  # start the worker once, as a sweep's first job does
        start = time.perf_counter()
        for _ in range(num_tasks):  # one at a time: a job's full round trip, nothing overlapped
            ray.get(task.remote(payload))
        per_job = (time.perf_counter() - start) / num_tasks
    finally:
        ray.shutdown()
    return {
        "bench": "ray_overhead",
        "tasks": num_tasks,
        "s_per_job": per_job,
        "fraction_of_study_job": per_job / STUDY_JOB_SECONDS,
        "fraction_of_smoke_job": per_job / SMOKE_JOB_SECONDS,
    }


def main() -> None:
    """Run the benchmarks and print rows (a table, or a JSON list with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=12_600)
    parser.add_argument("--replicas", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=200)
    args = parser.parse_args()
    rows = [bench_expand_pack(), bench_ray_overhead(args.tasks), *bench_store(args.runs, args.replicas)]
    for row in rows:
        row["machine"] = machine()
    print_rows(rows, args.json)


if __name__ == "__main__":
    main()
