"""The store's files: written atomically in the layout, read back by read_table, pandas, pyarrow and DuckDB
with correct partition columns, temporary files never read, bad files named."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from results_schema import (
    TABLES,
    CorruptFileError,
    SchemaError,
    committed_files,
    file_name,
    job_path,
    read_table,
    temp_name,
    write_table,
)

PARTITIONS = [("dsprites", "beta_vae"), ("dsprites", "factor_vae"), ("cars3d", "beta_vae")]


@pytest.fixture
def store(tmp_path, table_factory):
    """A store with one job per partition in every table, plus a half-written temporary file in each."""
    root = tmp_path / "store"
    for number, (dataset, objective) in enumerate(PARTITIONS):
        for name in TABLES:
            ids = [f"{dataset}-{objective}-{i}" for i in range(3)]
            table = table_factory(
                name,
                run_id=ids,
                dataset=[dataset] * 3,
                objective=[objective] * 3,
                seed=[number, number, number],
            )
            write_table(root, name, table, dataset=dataset, objective=objective, job_id=f"j{number}")
            temporary = job_path(root, name, dataset, objective, f"j{number}").parent / temp_name("j9")
            temporary.write_bytes(b"PAR1 not finished")
    return root


def test_layout_names():
    path = job_path("/s", "scores", "dsprites", "beta_vae", "abc-1")
    assert str(path) == "/s/scores/dataset=dsprites/objective=beta_vae/job-abc-1.parquet"
    assert file_name("abc-1") == "job-abc-1.parquet"
    assert temp_name("abc-1") == ".job-abc-1.parquet.inprogress"


@pytest.mark.parametrize(("dataset", "job_id"), [("../x", "j"), ("dsprites", "a/b"), ("dsprites", "")])
def test_layout_refuses_unsafe_names(dataset, job_id):
    with pytest.raises(SchemaError, match="cannot be part of a file path"):
        job_path("/s", "runs", dataset, "beta_vae", job_id)


def test_round_trip_every_table(store):
    for name, schema in TABLES.items():
        table = read_table(store, name)
        assert table.schema == schema
        assert table.num_rows == 9
        got = sorted(
            zip(
                table["run_id"].to_pylist(),
                table["dataset"].to_pylist(),
                table["objective"].to_pylist(),
                table["seed"].to_pylist(),
                strict=True,
            )
        )
        want = sorted((f"{d}-{o}-{i}", d, o, n) for n, (d, o) in enumerate(PARTITIONS) for i in range(3))
        assert got == want


def test_files_keep_partition_columns_in_directory_names_only(store):
    files = committed_files(store, "scores")
    assert len(files) == 3 and all(not p.name.startswith(".") for p in files)
    for path in files:
        names = pq.read_schema(path).names
        assert "dataset" not in names and "objective" not in names


def _expected_keys() -> list[tuple[str, str, str]]:
    return sorted((f"{d}-{o}-{i}", d, o) for d, o in PARTITIONS for i in range(3))


def _keys(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted(
        zip(
            frame["run_id"].astype(str),
            frame["dataset"].astype(str),
            frame["objective"].astype(str),
            strict=True,
        )
    )


def test_pandas_reads_partitions_and_skips_temporary_files(store):
    assert _keys(pd.read_parquet(store / "scores")) == _expected_keys()


def test_pyarrow_dataset_reads_partitions_and_skips_temporary_files(store):
    frame = ds.dataset(store / "scores", format="parquet", partitioning="hive").to_table().to_pandas()
    assert _keys(frame) == _expected_keys()


def test_duckdb_glob_reads_partitions_and_never_a_temporary_file(store):
    query = f"SELECT * FROM read_parquet('{store}/scores/**/*.parquet', hive_partitioning = true)"
    assert _keys(duckdb.sql(query).df()) == _expected_keys()


def test_filters_select_partitions_and_values(store):
    table = read_table(store, "scores", {"dataset": "dsprites", "objective": ["factor_vae"]})
    assert set(table["run_id"].to_pylist()) == {f"dsprites-factor_vae-{i}" for i in range(3)}
    assert read_table(store, "runs", {"seed": [0, 2]}).num_rows == 6
    with pytest.raises(SchemaError, match="cannot filter on 'metrics'"):
        read_table(store, "scores", {"metrics": "mig"})


def test_write_replaces_a_rerun_jobs_file(store, table_factory):
    table = table_factory("runs", run_id=["new"], rows=1)
    write_table(store, "runs", table, dataset="dsprites", objective="beta_vae", job_id="j0")
    runs = read_table(store, "runs", {"dataset": "dsprites", "objective": "beta_vae"})
    assert runs["run_id"].to_pylist() == ["new"]


def test_write_validates_and_refuses_rows_of_another_partition(tmp_path, table_factory):
    with pytest.raises(SchemaError, match="objective"):
        write_table(
            tmp_path, "runs", table_factory("runs"), dataset="dsprites", objective="factor_vae", job_id="j"
        )
    with pytest.raises(SchemaError, match="lacks"):
        write_table(
            tmp_path,
            "runs",
            table_factory("runs").drop_columns(["seed"]),
            dataset="dsprites",
            objective="beta_vae",
            job_id="j",
        )
    assert not list(tmp_path.rglob("*"))  # nothing left behind, not even a temporary file


def test_corrupt_file_is_reported_by_name(store):
    victim = committed_files(store, "scores")[1]
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(CorruptFileError) as caught:
        read_table(store, "scores")
    assert caught.value.path == victim and str(victim) in str(caught.value)


def test_file_with_wrong_column_type_is_named(store):
    victim = committed_files(store, "runs")[0]
    rows = pq.read_table(victim)
    rows = rows.set_column(rows.schema.get_field_index("steps"), "steps", pa.array(["x"] * rows.num_rows))
    pq.write_table(rows, victim)
    with pytest.raises(SchemaError) as caught:
        read_table(store, "runs")
    assert caught.value.path == victim and caught.value.column == "steps"


def test_file_missing_a_required_column_is_named(store):
    victim = committed_files(store, "train_curves")[2]
    pq.write_table(pq.read_table(victim).drop_columns(["loss"]), victim)
    with pytest.raises(SchemaError) as caught:
        read_table(store, "train_curves")
    assert caught.value.path == victim and caught.value.column == "loss"


def test_run_id_must_be_unique_across_the_store(store, table_factory):
    twin = table_factory("runs", run_id=["dsprites-beta_vae-0"], rows=1, dataset=["cars3d"])
    write_table(store, "runs", twin, dataset="cars3d", objective="beta_vae", job_id="twin")
    with pytest.raises(SchemaError, match="duplicate"):
        read_table(store, "runs")


def test_missing_store_and_empty_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="no result store"):
        read_table(tmp_path / "nowhere", "runs")
    empty = read_table(tmp_path, "scores")
    assert empty.num_rows == 0 and empty.schema == TABLES["scores"]
