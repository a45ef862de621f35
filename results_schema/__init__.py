"""Versioned Arrow schemas of the result store (runs, scores, train_curves), their validation and file layout.

The one place that defines what a result file is: the sweep writes with `write_table`, every reader goes
through `read_table` (or reads the same layout with pandas/DuckDB, see docs/analysis.md).
"""

from results_schema.errors import CorruptFileError, SchemaError
from results_schema.layout import (
    FILE_GLOB,
    PARTITION_COLUMNS,
    committed_files,
    file_name,
    file_schema,
    job_path,
    partition_dir,
    temp_name,
)
from results_schema.schemas import (
    REPRESENTATIONS,
    RUNS_SCHEMA,
    SCHEMA_VERSION,
    SCORES_SCHEMA,
    STATUSES,
    TABLES,
    TRAIN_CURVES_SCHEMA,
    UNIQUE_KEYS,
    table_schema,
)
from results_schema.store import read_table, write_table
from results_schema.validate import validate

__all__ = [
    "CorruptFileError",
    "FILE_GLOB",
    "PARTITION_COLUMNS",
    "REPRESENTATIONS",
    "RUNS_SCHEMA",
    "SCHEMA_VERSION",
    "SCORES_SCHEMA",
    "STATUSES",
    "SchemaError",
    "TABLES",
    "TRAIN_CURVES_SCHEMA",
    "UNIQUE_KEYS",
    "committed_files",
    "file_name",
    "file_schema",
    "job_path",
    "partition_dir",
    "read_table",
    "table_schema",
    "temp_name",
    "validate",
    "write_table",
]
