"""validate(): a conforming table passes (conformed), every kind of violation names its column."""

from __future__ import annotations

import pyarrow as pa
import pytest

from results_schema import SCHEMA_VERSION, TABLES, SchemaError, validate


@pytest.mark.parametrize("name", sorted(TABLES))
def test_valid_table_passes_with_declared_schema(table_factory, name):
    table = table_factory(name)
    assert validate(table, name).schema == TABLES[name]


def test_conforms_column_order_and_safe_casts(table_factory):
    table = table_factory("scores")
    shuffled = table.select(list(reversed(table.column_names)))
    shuffled = shuffled.set_column(
        shuffled.schema.get_field_index("seed"), "seed", pa.array([1, 2, 3], pa.int32())
    )
    conformed = validate(shuffled, "scores")
    assert conformed.column_names == TABLES["scores"].names
    assert conformed.column("seed").type == pa.int64()
    assert conformed.column("seed").to_pylist() == [1, 2, 3]
    assert conformed.schema.metadata[b"results_schema_version"] == str(SCHEMA_VERSION).encode()


def _error(table: pa.Table, name: str) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        validate(table, name)
    return caught.value


def test_missing_column_is_named(table_factory):
    err = _error(table_factory("runs").drop_columns(["host"]), "runs")
    assert err.column == "host" and "lacks" in str(err)


def test_extra_column_is_named(table_factory):
    table = table_factory("train_curves")
    err = _error(table.append_column("surprise", pa.array([1, 2, 3])), "train_curves")
    assert err.column == "surprise"


def test_unconvertible_type_is_named(table_factory):
    table = table_factory("scores")
    bad = table.set_column(table.schema.get_field_index("value"), "value", pa.array(["a", "b", "c"]))
    err = _error(bad, "scores")
    assert err.column == "value" and "string" in str(err) and "double" in str(err)


def test_lossy_cast_is_refused(table_factory):
    table = table_factory("runs")
    bad = table.set_column(table.schema.get_field_index("seed"), "seed", pa.array([0.5, 1.0, 2.0]))
    assert _error(bad, "runs").column == "seed"


def test_null_in_required_column_is_named(table_factory):
    table = table_factory("runs", status=["done", "done", "done"])
    bad = table.set_column(table.schema.get_field_index("device"), "device", pa.array(["cpu", None, "cpu"]))
    err = _error(bad, "runs")
    assert err.column == "device" and "1 null" in str(err)


def test_nullable_columns_accept_nulls(table_factory):
    table = table_factory("runs", model_num=[None, 1, None], checkpoint_path=[None] * 3)
    assert validate(table, "runs").column("model_num").null_count == 2


@pytest.mark.parametrize(
    ("name", "column", "value"),
    [
        ("runs", "status", "finished"),
        ("runs", "schema_version", SCHEMA_VERSION + 1),
        ("scores", "representation", "median"),
        ("scores", "dataset", "../escape"),
        ("runs", "job_id", "a/b"),
    ],
)
def test_values_outside_the_allowed_set_are_refused(table_factory, name, column, value):
    table = table_factory(name, **{column: [value] * 3})
    err = _error(table, name)
    assert err.column == column and repr(value) in str(err)


@pytest.mark.parametrize(("status", "column"), [("failed", "error"), ("diverged", "diverged_step")])
def test_failed_and_diverged_runs_must_say_why_and_when(table_factory, status, column):
    table = table_factory("runs", status=["done", status, "done"], error=[None] * 3, diverged_step=[None] * 3)
    assert _error(table, "runs").column == column
    fixed = table_factory(
        "runs", status=["done", status, "done"], error=[None, "boom", None], diverged_step=[None, 7, None]
    )
    assert validate(fixed, "runs").num_rows == 3


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("runs", {"run_id": ["a", "b", "a"]}),
        ("scores", {"run_id": ["a", "a", "b"], "metric": ["mig", "mig", "mig"], "score": ["s", "s", "s"]}),
        ("train_curves", {"run_id": ["a", "a", "a"], "step": [1, 2, 2]}),
    ],
)
def test_duplicate_keys_are_refused(table_factory, name, columns):
    err = _error(table_factory(name, **columns), name)
    assert "1 duplicate" in str(err)


def test_distinct_keys_are_accepted(table_factory):
    table = table_factory(
        "scores",
        run_id=["a", "a", "a"],
        metric=["mig", "dci", "dci"],
        score=["discrete_mig", "disentanglement", "completeness"],
    )
    assert validate(table, "scores").num_rows == 3


def test_unknown_table_name_lists_the_tables(table_factory):
    err = _error(table_factory("runs"), "run")
    assert "runs" in str(err) and "train_curves" in str(err)
