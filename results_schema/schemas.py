"""The Arrow schemas of the three result tables (runs, scores, train_curves) and the rules their rows obey.

The schemas are the logical tables analysts see: they include the hive partition columns `dataset` and
`objective`, which the store keeps in the directory names only (see `layout`). Bump `SCHEMA_VERSION` on any
change that an older reader could misread (a new required column, a renamed column, a changed type).
"""

from __future__ import annotations

import pyarrow as pa

from results_schema.errors import SchemaError

SCHEMA_VERSION = 1

STATUSES = ("done", "diverged", "failed")
REPRESENTATIONS = ("mean", "sampled")

_METADATA = {b"results_schema_version": str(SCHEMA_VERSION).encode()}


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema(list(fields), metadata=_METADATA)


def _f(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


_STR, _F64, _I64 = pa.string(), pa.float64(), pa.int64()

RUNS_SCHEMA = _schema(
    _f("schema_version", pa.int32()),
    _f("run_id", _STR),
    _f("model_num", _I64, nullable=True),
    _f("sweep", _STR),
    _f("job_id", _STR),
    _f("dataset", _STR),
    _f("objective", _STR),
    _f("strength_name", _STR),
    _f("strength", _F64),
    _f("seed", _I64),
    _f("status", _STR),
    _f("error", _STR, nullable=True),
    _f("steps", _I64),
    _f("diverged_step", _I64, nullable=True),
    _f("train_seconds", _F64, nullable=True),
    _f("eval_seconds", _F64, nullable=True),
    _f("device", _STR),
    _f("host", _STR),
    _f("package_version", _STR),
    _f("jax_version", _STR),
    _f("sklearn_version", _STR),
    _f("checkpoint_path", _STR, nullable=True),
    _f("final_loss", _F64, nullable=True),
    _f("final_reconstruction", _F64, nullable=True),
    _f("final_kl", _F64, nullable=True),
    _f("final_regularizer", _F64, nullable=True),
    _f("final_elbo", _F64, nullable=True),
    _f("config_json", _STR),
    _f("finished_at", pa.timestamp("us", tz="UTC")),
)

SCORES_SCHEMA = _schema(
    _f("run_id", _STR),
    _f("model_num", _I64, nullable=True),
    _f("dataset", _STR),
    _f("objective", _STR),
    _f("strength_name", _STR),
    _f("strength", _F64),
    _f("seed", _I64),
    _f("representation", _STR),
    _f("metric", _STR),
    _f("score", _STR),
    _f("value", _F64),
    _f("backend", _STR, nullable=True),
    _f("sklearn_version", _STR),
    _f("params_json", _STR),
    _f("eval_seed", _I64),
)

TRAIN_CURVES_SCHEMA = _schema(
    _f("run_id", _STR),
    _f("dataset", _STR),
    _f("objective", _STR),
    _f("strength", _F64),
    _f("seed", _I64),
    _f("step", _I64),
    _f("loss", _F64),
    _f("reconstruction", _F64),
    _f("kl", _F64),
    _f("regularizer", _F64),
    _f("elbo", _F64),
    _f("tc", _F64, nullable=True),
)

TABLES: dict[str, pa.Schema] = {
    "runs": RUNS_SCHEMA,
    "scores": SCORES_SCHEMA,
    "train_curves": TRAIN_CURVES_SCHEMA,
}

# Columns whose combination identifies a row; `validate` refuses duplicates (run_id is unique in the store).
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "runs": ("run_id",),
    "scores": ("run_id", "representation", "metric", "score"),
    "train_curves": ("run_id", "step"),
}

# Columns restricted to a fixed set of values.
ALLOWED_VALUES: dict[str, dict[str, tuple]] = {
    "runs": {"status": STATUSES, "schema_version": (SCHEMA_VERSION,)},
    "scores": {"representation": REPRESENTATIONS},
    "train_curves": {},
}


def table_schema(name: str) -> pa.Schema:
    """The declared schema of table `name`; raises SchemaError naming the known tables for any other name."""
    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(f"unknown result table {name!r}; the tables are {sorted(TABLES)}") from None
