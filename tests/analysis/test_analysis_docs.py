"""docs/analysis.md: the schema tables match results_schema, and the worked queries give the right answers on
a synthetic store (with diverged runs and an interrupted job whose scores must not be counted)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.load import load_study
from results_schema import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "analysis.md"


def _examples() -> dict[str, tuple[str, str]]:
    text = DOC.read_text()
    found = re.findall(r"<!-- example: ([\w-]+) -->\n```(\w+)\n(.*?)```", text, flags=re.S)
    return {name: (language, code) for name, language, code in found}


@pytest.fixture
def in_store_parent(small_store, tmp_path, monkeypatch):
    """Run from a directory where `out/store` is the small synthetic store."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "store").symlink_to(small_store.root)
    monkeypatch.chdir(tmp_path)
    return load_study(small_store.root).per_run


def _run(name: str) -> dict | pd.DataFrame:
    language, code = _examples()[name]
    if language == "sql":
        return duckdb.sql(code).df()
    namespace: dict = {}
    exec(compile(code, f"{DOC.name}:{name}", "exec"), namespace)
    return namespace


def test_all_four_examples_are_present():
    assert set(_examples()) == {
        "median-mig-pandas",
        "median-mig-duckdb",
        "best-dci-pandas",
        "best-dci-duckdb",
    }


def test_schema_tables_match_the_declared_schemas():
    text = DOC.read_text()
    for name, schema in TABLES.items():
        section = text.split(f"#### `{name}`")[1].split("####")[0]
        rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (yes|no) \|$", section, flags=re.M)
        assert rows == [(f.name, str(f.type), "yes" if f.nullable else "no") for f in schema], name


def test_median_mig_by_objective_and_strength(in_store_parent):
    runs = in_store_parent[in_store_parent["dataset"] == "dsprites"]
    expected = runs.groupby(["objective", "strength"])["MIG"].median()
    from_pandas = _run("median-mig-pandas")["median_mig"]
    from_pandas.index = from_pandas.index.set_levels(from_pandas.index.levels[0].astype(str), level=0)
    pd.testing.assert_series_equal(
        from_pandas.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    from_duckdb = _run("median-mig-duckdb")
    assert len(from_duckdb) == 36
    merged = from_duckdb.set_index(["objective", "strength"])["median_mig"]
    np.testing.assert_allclose(merged.sort_index().to_numpy(), expected.sort_index().to_numpy())
    counts = runs.groupby(["objective", "strength"]).size().sort_index().to_numpy()
    np.testing.assert_array_equal(
        from_duckdb.set_index(["objective", "strength"])["runs"].sort_index(), counts
    )


def test_best_run_per_dataset_by_dci(in_store_parent):
    per_run = in_store_parent
    winners = per_run.loc[per_run.groupby("dataset")["DCI Disentanglement"].idxmax()]
    expected = dict(zip(winners["dataset"], winners["run_id"], strict=True))
    best = _run("best-dci-pandas")["best"]
    assert dict(zip(best["dataset"].astype(str), best["run_id"], strict=True)) == expected
    assert best["value"].max() < 10  # the interrupted job's inflated scores are excluded
    from_duckdb = _run("best-dci-duckdb")
    assert dict(zip(from_duckdb["dataset"], from_duckdb["run_id"], strict=True)) == expected
