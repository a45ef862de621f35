"""Where each result file lives in the store, shared by the sweep's writer and every reader.

    <store_root>/<table>/dataset=<name>/objective=<name>/job-<job_id>.parquet

The partition columns `dataset` and `objective` live in the directory names only, never inside the files:
pyarrow and pandas refuse a dataset whose files repeat a hive partition column (the directory gives a
dictionary, the file a string), while DuckDB, pyarrow.dataset and pandas all read the directory values
correctly. A file is written as `.job-<job_id>.parquet.inprogress` and renamed into place, so neither the
dot-prefix rule of pyarrow/pandas nor DuckDB's `*.parquet` glob ever sees a half-written file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from results_schema.errors import SchemaError
from results_schema.schemas import table_schema
from results_schema.validate import SAFE_NAME

PARTITION_COLUMNS = ("dataset", "objective")
PARTITION_SCHEMA = pa.schema([pa.field(c, pa.string(), nullable=False) for c in PARTITION_COLUMNS])
FILE_GLOB = "dataset=*/objective=*/*.parquet"
TEMP_SUFFIX = ".inprogress"
TEMP_GLOB = f"*/dataset=*/objective=*/.*{TEMP_SUFFIX}"  # every table's interrupted writes, from the root


def _safe(kind: str, value: str) -> str:
    if not isinstance(value, str) or not re.match(SAFE_NAME, value):
        raise SchemaError(
            f"{kind} {value!r} cannot be part of a file path; use letters, digits, '_', '.' and '-' only"
        )
    return value


def partition_dir(store_root: str | Path, table: str, dataset: str, objective: str) -> Path:
    """The directory holding table `table`'s files for one (data set, objective) partition."""
    table_schema(table)
    return (
        Path(store_root)
        / table
        / f"dataset={_safe('data set', dataset)}"
        / f"objective={_safe('objective', objective)}"
    )


def file_name(job_id: str) -> str:
    """The committed file name of job `job_id`'s rows in one table."""
    return f"job-{_safe('job id', job_id)}.parquet"


def temp_name(job_id: str) -> str:
    """The dot-prefixed name a job's file is written under before it is renamed to `file_name(job_id)`."""
    return f".{file_name(job_id)}{TEMP_SUFFIX}"


def job_path(store_root: str | Path, table: str, dataset: str, objective: str, job_id: str) -> Path:
    """The committed path of job `job_id`'s file in table `table`."""
    return partition_dir(store_root, table, dataset, objective) / file_name(job_id)


def file_schema(table: str) -> pa.Schema:
    """The schema of the Parquet files of `table`: its declared schema without the partition columns."""
    schema = table_schema(table)
    for column in PARTITION_COLUMNS:
        schema = schema.remove(schema.get_field_index(column))
    return schema


def committed_files(store_root: str | Path, table: str) -> list[Path]:
    """Every committed file of `table`, sorted; temporary (dot-prefixed) files are never listed."""
    table_schema(table)
    root = Path(store_root) / table
    return sorted(p for p in root.glob(FILE_GLOB) if not p.name.startswith("."))


def partition_of(path: str | Path) -> tuple[str, str]:
    """(data set, objective) of a file in the store, read back from its two hive directory names."""
    path = Path(path)
    values = []
    for directory, column in zip((path.parent.parent.name, path.parent.name), PARTITION_COLUMNS, strict=True):
        key, _, value = directory.partition("=")
        if key != column or not value:
            raise SchemaError(f"{path} is not under <table>/dataset=<name>/objective=<name>/", column, path)
        values.append(value)
    return values[0], values[1]


def job_id_of(path: str | Path) -> str:
    """The job id in a committed file name `job-<job_id>.parquet` (the inverse of `file_name`)."""
    return Path(path).name.removeprefix("job-").removesuffix(".parquet")
