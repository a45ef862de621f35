"""Check a table against its declared schema and return it conformed (declared column order, types, metadata).

Called by the writer before a file is written and by the reader after the store is read, so a table that
breaks the contract is refused where it is made and never silently reaches an analysis.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from results_schema.errors import SchemaError
from results_schema.schemas import ALLOWED_VALUES, UNIQUE_KEYS, table_schema

# Characters allowed in values that become directory names (hive partitions) or file names.
SAFE_NAME = r"^[A-Za-z0-9_.\-]+$"
_PATH_COLUMNS = ("dataset", "objective", "job_id")


def validate(table: pa.Table, name: str, path: Path | None = None) -> pa.Table:
    """Return `table` conformed to the schema of result table `name`, or raise SchemaError naming the column.

    Checks: no missing or extra columns; every column converts safely to its declared type; no nulls in
    non-nullable columns; restricted columns hold allowed values; partition and job columns are safe path
    parts; the table's key columns identify each row once. `path`, when given, is named in the error.
    """
    schema = table_schema(name)
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise SchemaError(
            f"table {name!r} lacks column(s) {missing} of schema {_version(schema)}", missing[0], path
        )
    extra = [c for c in table.column_names if schema.get_field_index(c) < 0]
    if extra:
        raise SchemaError(
            f"table {name!r} has column(s) {extra} that schema {_version(schema)} does not declare; "
            f"declared: {schema.names}",
            extra[0],
            path,
        )
    columns = [_conform(table.column(f.name), f, name, path) for f in schema]
    conformed = pa.Table.from_arrays(columns, schema=schema)
    _check_allowed(conformed, name, path)
    if name == "runs":
        _check_status_details(conformed, path)
    _check_unique(conformed, name, path)
    return conformed


def _version(schema: pa.Schema) -> str:
    return "v" + schema.metadata[b"results_schema_version"].decode()


def _same_kind(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether a `source` column may stand for a `target` one: an all-null column, an integer for a wider or
    floating column, a (large or dictionary-encoded) string for a string, a timestamp for a timestamp.
    Anything else (e.g. text that happens to parse as a number) is a different column, not a conversion."""
    if pa.types.is_dictionary(source):
        source = source.value_type
    checks = (pa.types.is_integer, pa.types.is_floating, pa.types.is_timestamp)
    return (
        pa.types.is_null(source)
        or (pa.types.is_integer(source) and (pa.types.is_integer(target) or pa.types.is_floating(target)))
        or (pa.types.is_string(target) and (pa.types.is_string(source) or pa.types.is_large_string(source)))
        or any(check(source) and check(target) for check in checks)
    )


def _conform(column: pa.ChunkedArray, field: pa.Field, name: str, path: Path | None) -> pa.ChunkedArray:
    if column.type != field.type:
        try:
            if not _same_kind(column.type, field.type):
                raise pa.ArrowTypeError("a different kind of value")
            column = pc.cast(column, field.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as err:
            raise SchemaError(
                f"table {name!r} column {field.name!r} has type {column.type}, which does not convert to the "
                f"declared {field.type}: {err}",
                field.name,
                path,
            ) from None
    if not field.nullable and column.null_count:
        raise SchemaError(
            f"table {name!r} column {field.name!r} has {column.null_count} null value(s) but is required",
            field.name,
            path,
        )
    return column


def _check_allowed(table: pa.Table, name: str, path: Path | None) -> None:
    for column, allowed in ALLOWED_VALUES[name].items():
        values = table.column(column)
        bad = pc.unique(values.filter(pc.invert(pc.is_in(values, pa.array(allowed, values.type)))))
        if len(bad):
            raise SchemaError(
                f"table {name!r} column {column!r} has value(s) {bad.to_pylist()[:5]}; "
                f"allowed: {list(allowed)}",
                column,
                path,
            )
    for column in _PATH_COLUMNS:
        if column in table.column_names:
            values = pc.unique(table.column(column))
            bad = values.filter(pc.invert(pc.match_substring_regex(values, SAFE_NAME)))
            if len(bad):
                raise SchemaError(
                    f"table {name!r} column {column!r} has value(s) {bad.to_pylist()[:5]} that cannot be "
                    f"part of a file path; use letters, digits, '_', '.' and '-' only",
                    column,
                    path,
                )


def _check_status_details(runs: pa.Table, path: Path | None) -> None:
    """A failed run must say why (`error`); a diverged run must say when (`diverged_step`)."""
    status = runs.column("status")
    for state, column in (("failed", "error"), ("diverged", "diverged_step")):
        lacking = pc.sum(pc.and_(pc.equal(status, state), pc.is_null(runs.column(column)))).as_py() or 0
        if lacking:
            raise SchemaError(
                f"table 'runs' has {lacking} {state} run(s) without {column!r}; "
                f"record it for every {state} run",
                column,
                path,
            )


def _check_unique(table: pa.Table, name: str, path: Path | None) -> None:
    keys = list(UNIQUE_KEYS[name])
    counts = table.group_by(keys, use_threads=True).aggregate([([], "count_all")])
    if counts.num_rows == table.num_rows:
        return
    dup = counts.filter(pc.greater(counts.column("count_all"), 1)).slice(0, 3).select(keys).to_pylist()
    raise SchemaError(
        f"table {name!r} has {table.num_rows - counts.num_rows} duplicate row(s) for key {keys}, e.g. {dup}; "
        f"each run (and each of its scores and curve steps) must be recorded once",
        keys[0],
        path,
    )
