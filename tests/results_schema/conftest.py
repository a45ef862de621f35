"""Valid result tables to start each schema test from."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from results_schema import TABLES

_DEFAULTS = {
    pa.string(): "x",
    pa.int64(): 0,
    pa.int32(): 1,
    pa.float64(): 0.5,
    pa.timestamp("us", tz="UTC"): datetime(2026, 11, 27, tzinfo=UTC),
}


def make_table(name: str, rows: int = 3, **columns: list) -> pa.Table:
    """`rows` rows of table `name`: distinct run ids (and steps), defaults elsewhere, `columns` overriding."""
    data = {}
    for field in TABLES[name]:
        data[field.name] = [_DEFAULTS[field.type]] * rows
    data["run_id"] = [f"run{i}" for i in range(rows)]
    data.update({"dataset": ["dsprites"] * rows, "objective": ["beta_vae"] * rows})
    if name == "runs":
        data.update(status=["done"] * rows, job_id=["job0"] * rows)
    if name == "scores":
        data.update(representation=["mean"] * rows)
    data.update(columns)
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in TABLES[name]})


@pytest.fixture
def table_factory():
    """The `make_table` helper, as a fixture."""
    return make_table
