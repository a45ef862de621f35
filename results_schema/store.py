"""Read and write the store's tables with their declared schemas (never a schema inferred from one file)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from results_schema.errors import CorruptFileError, SchemaError
from results_schema.layout import (
    PARTITION_COLUMNS,
    PARTITION_SCHEMA,
    committed_files,
    file_schema,
    job_path,
    partition_of,
    temp_name,
)
from results_schema.schemas import table_schema
from results_schema.validate import validate

Filters = Mapping[str, object | Sequence[object]]


def write_table(
    store_root: str | Path, name: str, table: pa.Table, *, dataset: str, objective: str, job_id: str
) -> Path:
    """Validate one job's rows of table `name` and commit them atomically as that job's file; return its path.

    The rows must all belong to (`dataset`, `objective`). The file is written under a dot-prefixed temporary
    name, flushed to disk, then renamed over `job_path(...)`, so a reader sees the whole file or none of it
    and a rerun of the job replaces its file.
    """
    conformed = validate(table, name)
    for column, expected in zip(PARTITION_COLUMNS, (dataset, objective), strict=True):
        values = pc.unique(conformed.column(column)).to_pylist()
        if values and values != [expected]:
            raise SchemaError(
                f"job {job_id!r} writes {column} {values} into the partition "
                f"{column}={expected}; a job file holds one data set and one objective",
                column,
            )
    target = job_path(store_root, name, dataset, objective, job_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / temp_name(job_id)
    rows = conformed.drop_columns(list(PARTITION_COLUMNS)).cast(file_schema(name))
    with open(temporary, "wb") as handle:
        pq.write_table(rows, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


def read_table(store_root: str | Path, name: str, filters: Filters | None = None) -> pa.Table:
    """Read table `name` of the store at `store_root` with its declared schema, validated.

    Reads `<store_root>/<name>/dataset=*/objective=*/*.parquet` and fills `dataset`/`objective` from the
    directory names; temporary dot-prefixed files are never read. `filters` maps a column to a value or a
    list of values to keep (e.g. `{"dataset": "dsprites", "metric": ["mig", "dci"]}`); partition filters skip
    whole directories. A table with no files yet is returned empty. Raises CorruptFileError naming a file
    that is not readable Parquet and SchemaError naming a file whose columns break the schema.
    """
    root = Path(store_root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"no result store at {root}: expected a directory with runs/, scores/ and "
            f"train_curves/ (the `store` folder inside a sweep's `out=` directory)"
        )
    schema = table_schema(name)
    files = committed_files(root, name)
    if not files:
        return schema.empty_table()
    dataset = ds.dataset(
        [str(p) for p in files],
        schema=schema,
        format="parquet",
        partitioning=ds.partitioning(PARTITION_SCHEMA, flavor="hive"),
        partition_base_dir=str(root / name),
    )
    try:
        table = dataset.to_table(filter=_expression(schema, filters))
    except (OSError, pa.ArrowException) as err:
        _diagnose(files, name)
        raise CorruptFileError(root / name, f"reading the table failed: {err}") from err
    try:
        return validate(table, name)
    except SchemaError:
        _diagnose(files, name)
        raise


def _expression(schema: pa.Schema, filters: Filters | None) -> pc.Expression | None:
    if not filters:
        return None
    expression = None
    for column, wanted in filters.items():
        if schema.get_field_index(column) < 0:
            raise SchemaError(
                f"cannot filter on {column!r}: not a column of this table; columns: {schema.names}", column
            )
        values = list(wanted) if isinstance(wanted, Sequence) and not isinstance(wanted, str) else [wanted]
        term = pc.field(column).isin(pa.array(values, schema.field(column).type))
        expression = term if expression is None else expression & term
    return expression


def _diagnose(files: list[Path], name: str) -> None:
    """Raise the error naming the first file that is unreadable or whose columns do not fit `name`'s files."""
    expected = file_schema(name)
    for path in files:
        try:
            rows = pq.read_table(path)
        except (OSError, pa.ArrowException) as err:
            raise CorruptFileError(path, str(err)) from err
        for column in PARTITION_COLUMNS:
            if column in rows.column_names:
                raise SchemaError(
                    f"file repeats the partition column {column!r}; the store keeps it in the "
                    f"directory name only (write files with results_schema.write_table)",
                    column,
                    path,
                )
        for field in (f for f in expected if f.name not in rows.column_names):
            rows = rows.append_column(field, pa.nulls(rows.num_rows, field.type))
        for column, value in zip(PARTITION_COLUMNS, partition_of(path), strict=True):
            rows = rows.append_column(column, pa.array([value] * rows.num_rows, pa.string()))
        validate(rows, name, path)
