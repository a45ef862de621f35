"""The result store protocol on real Parquet files: commit, recovery, uniqueness, compaction, corruption."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from sweep_helpers import run_cli

import sweep.store as store_module
from evaluation import ScoreRecord
from results_schema import CorruptFileError, committed_files, read_table, write_table
from sweep.errors import StoreError
from sweep.grid import expand_grid
from sweep.packing import pack
from sweep.records import curve_rows, failed_rows, run_row, score_rows, to_tables
from sweep.store import commit_job, compact, orphan_files, recorded_runs, recover, retire_runs, temp_files


@pytest.fixture(scope="module")
def jobs():
    """24 real RunSpecs (beta_vae on dsprites, 6 strengths x 4 seeds) in 6 jobs of 4."""
    return pack(expand_grid(["grid.seeds=4"])[1], 4)


def job_rows(job, status="done") -> dict[str, pa.Table]:
    """Plausible rows of one finished job: a runs row, two scores and three curve points per run."""
    if status == "failed":
        return to_tables({"runs": failed_rows(job.runs, job.job_id, "test", "ValueError: boom")})
    rows = {"runs": [], "scores": [], "train_curves": []}
    for i, spec in enumerate(job.runs):
        rows["runs"].append(
            run_row(
                spec,
                job.job_id,
                "test",
                status="done",
                steps=30,
                device="cpu",
                train_seconds=1.0,
                final_logs={"loss": 1.0 + i},
            )
        )
        records = [ScoreRecord("mig", "discrete_mig", 0.1 * i, {}), ScoreRecord("model", "elbo", -5.0, {})]
        rows["scores"] += score_rows(spec, "mean", records, 0)
        curve = [
            {"step": s, "loss": 2.0 / s, "reconstruction": 1.0, "kl": 1.0, "regularizer": 1.0, "elbo": -2.0}
            for s in (10, 20, 30)
        ]
        rows["train_curves"] += curve_rows(spec, curve)
    return to_tables(rows)


def commit_all(root, jobs, recorded=None):
    recorded = set() if recorded is None else recorded
    for job in jobs:
        commit_job(root, job.dataset, job.objective, job.job_id, job_rows(job), recorded)
    return recorded


def sorted_table(root, name):
    keys = {"runs": ["run_id"], "scores": ["run_id", "metric"], "train_curves": ["run_id", "step"]}[name]
    return read_table(root, name).to_pandas().sort_values(keys).reset_index(drop=True)


def test_each_run_is_recorded_once_and_readable_by_pandas_and_duckdb(tmp_path, jobs):
    commit_all(tmp_path, jobs)
    runs = recorded_runs(tmp_path)
    assert sorted(runs.column("run_id").to_pylist()) == sorted(r.run_id for j in jobs for r in j.runs)
    assert len(committed_files(tmp_path, "runs")) == 6
    glob = str(tmp_path / "scores" / "*" / "*" / "*.parquet")
    by_metric = duckdb.sql(
        f"select metric, count(*) n from read_parquet('{glob}', hive_partitioning=true) "
        "group by metric order by metric"
    ).fetchall()
    assert by_metric == [("mig", 24), ("model", 24)]
    frame = pd.read_parquet(tmp_path / "runs")
    assert len(frame) == 24 and set(frame["dataset"]) == {"dsprites"}


def test_a_run_id_is_never_recorded_twice(tmp_path, jobs):
    recorded = commit_all(tmp_path, jobs[:2])
    with pytest.raises(StoreError, match="a second time"):
        commit_job(tmp_path, jobs[1].dataset, jobs[1].objective, "other", job_rows(jobs[1]), recorded)
    assert recorded_runs(tmp_path).num_rows == 8


def test_interrupted_commit_is_invisible_in_runs_and_removed_by_recover(tmp_path, jobs):
    commit_all(tmp_path, jobs[:1])
    crashed = jobs[1]
    tables = job_rows(crashed)
    for name in ("scores", "train_curves"):  # the driver died before the runs file (the commit record)
        write_table(
            tmp_path,
            name,
            tables[name],
            dataset=crashed.dataset,
            objective=crashed.objective,
            job_id=crashed.job_id,
        )
    half = committed_files(tmp_path, "runs")[0].parent / f".job-{crashed.job_id}.parquet.inprogress"
    half.write_bytes(b"PAR1 half a file")
    assert recorded_runs(tmp_path).num_rows == 4
    assert len(orphan_files(tmp_path)) == 2 and temp_files(tmp_path) == [half]
    removed = recover(tmp_path)
    assert len(removed) == 3 and not half.exists() and not orphan_files(tmp_path)
    assert read_table(tmp_path, "scores").num_rows == 8
    commit_job(tmp_path, crashed.dataset, crashed.objective, crashed.job_id, tables, set())
    assert recorded_runs(tmp_path).num_rows == 8


def test_compact_merges_files_without_changing_a_row(tmp_path, jobs):
    commit_all(tmp_path, jobs)
    before = {name: sorted_table(tmp_path, name) for name in ("runs", "scores", "train_curves")}
    report = compact(tmp_path)
    assert report.files_before == {"scores": 6, "train_curves": 6, "runs": 6}
    assert report.files_after == {"scores": 1, "train_curves": 1, "runs": 1}
    assert report.rows == {"scores": 48, "train_curves": 72, "runs": 24}
    for name, frame in before.items():
        pd.testing.assert_frame_equal(sorted_table(tmp_path, name), frame)
    assert compact(tmp_path).files_after == report.files_after  # idempotent


@pytest.mark.parametrize("crash_at", ["merged runs file", "source removal"])
def test_interrupted_compaction_is_settled_by_recover(tmp_path, jobs, monkeypatch, crash_at):
    commit_all(tmp_path, jobs)
    before = sorted_table(tmp_path, "scores")

    class Crash(Exception):
        pass

    if crash_at == "merged runs file":
        real_write = store_module.write_table

        def write(root, name, table, **kw):
            if name == "runs":
                raise Crash
            return real_write(root, name, table, **kw)

        monkeypatch.setattr(store_module, "write_table", write)
    else:

        def settle(root, journal):
            raise Crash

        monkeypatch.setattr(store_module, "_settle_compaction", settle)
    with pytest.raises(Crash):
        compact(tmp_path)
    monkeypatch.undo()
    recover(tmp_path)
    assert not list(tmp_path.glob(".compact-*"))
    pd.testing.assert_frame_equal(sorted_table(tmp_path, "scores"), before)
    assert recorded_runs(tmp_path).num_rows == 24
    expected_files = 6 if crash_at == "merged runs file" else 1
    assert len(committed_files(tmp_path, "runs")) == expected_files


def test_retire_runs_drops_only_the_failed_rows(tmp_path, jobs):
    recorded = commit_all(tmp_path, jobs[:2])
    job = jobs[2]
    commit_job(tmp_path, job.dataset, job.objective, job.job_id, job_rows(job, "failed"), recorded)
    failed = {r.run_id for r in job.runs}
    assert retire_runs(tmp_path, failed) == 4
    assert set(recorded_runs(tmp_path).column("status").to_pylist()) == {"done"}
    assert recorded_runs(tmp_path).num_rows == 8


def test_corrupt_file_is_reported_not_skipped(tmp_path, jobs):
    out = tmp_path / "out"
    commit_all(out / "store", jobs[:2])
    victim = committed_files(out / "store", "runs")[0]
    victim.write_bytes(b"this is not parquet")
    with pytest.raises(CorruptFileError, match=victim.name):
        recorded_runs(out / "store")
    result = run_cli("status", f"out={out}")
    assert result.returncode == 1
    assert str(victim) in result.stderr and "corrupt" in result.stderr
