"""The sweep's side of the Parquet result store: commit a job's rows, recover interrupted writes, compact.

Layout and schemas belong to `results_schema`; this module adds the protocol that keeps the store trustworthy
when a driver is killed at any instant:
- a job writes `scores` and `train_curves` first and `runs` last; the `runs` file is the commit record, so
  data files whose job has no `runs` file are leftovers of an interrupted commit and `recover` removes them;
- every file is written under a dot-prefixed temporary name and renamed (`results_schema.write_table`);
- `compact` journals what it merges, so an interrupted compaction is finished or rolled back by `recover`.

The consistency rules live in one place, `check_store`, which `status`, `run`, `compact` and `report` share:
every committed file must be readable Parquet of its table's schema (else CorruptFileError/SchemaError naming
it); a `scores` or `train_curves` row counts only next to its commit record (the `runs` file of the same job
name, holding its run, with status `done` for scores, `done` or `diverged` for curves); and every `done` run
has scores and a training curve. A `done` run lacking either is *incomplete*: `run` retires it and evaluates
it again from its checkpoint. Rows without a commit record are *stray* (left by a crash between the steps of a
retirement): `run` drops them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from results_schema import (
    RUNS_SCHEMA,
    CorruptFileError,
    committed_files,
    file_schema,
    job_path,
    read_table,
    validate,
    write_table,
)
from results_schema.layout import TEMP_GLOB, job_id_of, partition_of
from sweep.errors import StoreError

COMMIT_TABLE = "runs"
DATA_TABLES = ("scores", "train_curves")
WRITE_ORDER = (*DATA_TABLES, COMMIT_TABLE)
JOURNAL_GLOB = ".compact-*.json"


def commit_job(
    root: Path, dataset: str, objective: str, job_id: str, tables: Mapping[str, pa.Table], recorded: set[str]
) -> None:
    """Write one job's rows: data tables first, `runs` last (the commit record); empty ones are skipped.

    `recorded` holds the run_ids already in the store; a job that would record one of them again is refused
    (run_id is unique across the store), and on success its run_ids are added to the set.
    """
    run_ids = tables[COMMIT_TABLE].column("run_id").to_pylist()
    if not run_ids:
        raise StoreError(f"job {job_id} has no runs rows to commit")
    again = sorted(recorded.intersection(run_ids))
    if again:
        raise StoreError(
            f"job {job_id} would record run(s) {again[:3]} a second time; each run_id is "
            "recorded once. Is a second sweep writing to the same out= directory?"
        )
    for name in WRITE_ORDER:
        if tables[name].num_rows:
            write_table(root, name, tables[name], dataset=dataset, objective=objective, job_id=job_id)
    recorded.update(run_ids)


def temp_files(root: Path) -> list[Path]:
    """Temporary files of interrupted writes (never read; removed by `recover`)."""
    return sorted(Path(root).glob(TEMP_GLOB))


def orphan_files(root: Path) -> list[Path]:
    """Committed `scores`/`train_curves` files whose job has no `runs` file: an interrupted commit."""
    committed = {(p.parent.parent.name, p.parent.name, p.name) for p in committed_files(root, COMMIT_TABLE)}
    return [
        p
        for name in DATA_TABLES
        for p in committed_files(root, name)
        if (p.parent.parent.name, p.parent.name, p.name) not in committed
    ]


def recover(root: Path) -> list[Path]:
    """Make the store consistent after a crash: settle compaction journals, drop temp and orphan files.

    Returns the paths removed. Called by `run` and `compact` before they write.
    """
    removed = settle_journals(root)
    for path in [*temp_files(root), *orphan_files(root)]:
        path.unlink()
        removed.append(path)
    return removed


def settle_journals(root: Path) -> list[Path]:
    """Finish or roll back every compaction a crash interrupted (from its journal); returns paths removed."""
    removed = []
    for journal in sorted(Path(root).glob(JOURNAL_GLOB)):
        removed += _settle_compaction(Path(root), journal)
    return removed


def recorded_runs(root: Path) -> pa.Table:
    """The committed `runs` table (validated; a corrupt or foreign file raises naming it)."""
    if not Path(root).is_dir():
        return RUNS_SCHEMA.empty_table()
    return read_table(root, COMMIT_TABLE)


def retire_runs(root: Path, run_ids: set[str]) -> int:
    """Remove every row of `run_ids` (runs about to be redone); returns how many `runs` rows were removed.

    Data tables first, `runs` (the commit record) last, so a crash half-way leaves at worst `done` runs
    without data, which the next `run` finds incomplete and redoes. Each affected file is rewritten without
    those rows, or deleted when nothing is left.
    """
    for name in DATA_TABLES:
        drop_rows(root, name, {path: set(run_ids) for path in committed_files(root, name)})
    return drop_rows(root, COMMIT_TABLE, {path: set(run_ids) for path in committed_files(root, COMMIT_TABLE)})


def drop_rows(root: Path, name: str, doomed: Mapping[Path, set[str]]) -> int:
    """Rewrite each file of table `name` without the rows of its `doomed` run_ids; returns rows removed."""
    removed = 0
    for path, run_ids in doomed.items():
        if not run_ids or not path.exists():
            continue
        rows = _read_file(path, name)
        keep = pa.array([r not in run_ids for r in rows.column("run_id").to_pylist()], pa.bool_())
        kept = rows.filter(keep)
        if kept.num_rows == rows.num_rows:
            continue
        removed += rows.num_rows - kept.num_rows
        if kept.num_rows == 0:
            path.unlink()
        else:
            dataset, objective = partition_of(path)
            write_table(
                root,
                name,
                _with_partition(kept, dataset, objective),
                dataset=dataset,
                objective=objective,
                job_id=job_id_of(path),
            )
    return removed


@dataclass(frozen=True)
class StoreCheck:
    """What `check_store` found: the recorded runs and what breaks the consistency rules."""

    runs: pa.Table  # run_id, dataset, objective, status, error (one row per recorded run)
    files: dict[str, int]  # committed files per table
    incomplete: dict[str, tuple[str, ...]]  # done run_id -> the tables it has no rows in
    stray: dict[str, dict[Path, set[str]]]  # table -> file -> run_ids whose rows have no commit record
    interrupted: tuple[Path, ...]  # temporary and orphan files (never read; `recover` removes them)

    def stray_rows(self) -> int:
        """Number of (file, run) pairs with rows but no commit record."""
        return sum(len(ids) for files in self.stray.values() for ids in files.values())

    def problems(self) -> list[str]:
        """One line per broken rule (empty for a consistent store)."""
        lines = []
        for table in DATA_TABLES:
            missing = sorted(r for r, tables in self.incomplete.items() if table in tables)
            if missing:
                lines.append(
                    f"{len(missing)} run(s) recorded done have no {table} rows "
                    f"(e.g. {', '.join(missing[:3])})"
                )
        for files in self.stray.values():
            for path, run_ids in sorted(files.items()):
                if run_ids:
                    lines.append(
                        f"{path}: rows of {len(run_ids)} run(s) without a commit record in the "
                        f"matching runs file (e.g. {sorted(run_ids)[0]})"
                    )
        return lines


def check_store(root: Path, ignore_interrupted: bool = False) -> StoreCheck:
    """Read every committed file of the store and check its consistency rules (see the module docstring).

    Raises CorruptFileError or SchemaError naming the first file that is not readable Parquet of its table's
    schema, and StoreError for a run_id recorded in two `runs` files. Orphan files (an interrupted commit)
    are listed in `interrupted`, not checked as stray.
    """
    root = Path(root)
    empty = RUNS_SCHEMA.empty_table().select(["run_id", "dataset", "objective", "status", "error"])
    if not root.is_dir():
        return StoreCheck(empty, {}, {}, {}, ())
    orphans = set(orphan_files(root))
    interrupted = tuple([*temp_files(root), *sorted(orphans)])
    files = {name: committed_files(root, name) for name in WRITE_ORDER}
    runs_parts, status, home = [], {}, {}
    for path in files[COMMIT_TABLE]:
        rows = _read_valid(path, COMMIT_TABLE).select(["run_id", "dataset", "objective", "status", "error"])
        runs_parts.append(rows)
        for run_id, state in zip(
            rows.column("run_id").to_pylist(), rows.column("status").to_pylist(), strict=True
        ):
            if run_id in home:
                raise StoreError(
                    f"run {run_id} is recorded twice, in {home[run_id]} and {path}; each run_id "
                    "is recorded once. Move one of the files out of the store and rerun"
                )
            status[run_id], home[run_id] = state, _key(path)
    allowed = {"scores": ("done",), "train_curves": ("done", "diverged")}
    present: dict[str, set[str]] = {name: set() for name in DATA_TABLES}
    stray: dict[str, dict[Path, set[str]]] = {}
    for name in DATA_TABLES:
        for path in files[name]:
            if path in orphans and ignore_interrupted:
                continue
            ids = set(_read_valid(path, name).column("run_id").to_pylist())
            if path in orphans:
                continue
            good = {r for r in ids if home.get(r) == _key(path) and status[r] in allowed[name]}
            present[name] |= good
            if ids - good:
                stray.setdefault(name, {})[path] = ids - good
    incomplete = {}
    for run_id, state in status.items():
        missing = tuple(name for name in DATA_TABLES if state == "done" and run_id not in present[name])
        if missing:
            incomplete[run_id] = missing
    runs = pa.concat_tables(runs_parts) if runs_parts else empty
    return StoreCheck(
        runs, {name: len(paths) for name, paths in files.items()}, incomplete, stray, interrupted
    )


def repair(root: Path, check: StoreCheck, redo: set[str]) -> None:
    """Drop stray rows and retire the incomplete runs in `redo`, so that a `run` can redo them."""
    for name, doomed in check.stray.items():
        drop_rows(root, name, doomed)
    if redo:
        retire_runs(root, redo)


def _key(path: Path) -> tuple[str, str, str]:
    """(data set dir, objective dir, file name): what ties a data file to its commit record."""
    return path.parent.parent.name, path.parent.name, path.name


def _read_valid(path: Path, name: str) -> pa.Table:
    """One committed file's rows, validated against table `name` (partition columns from its directories)."""
    rows = _read_file(path, name)
    dataset, objective = partition_of(path)
    return validate(_with_partition(rows, dataset, objective), name, path)


@dataclass(frozen=True)
class CompactionReport:
    """What `compact` did: files before and after, per table, and the rows it carried over."""

    files_before: dict[str, int]
    files_after: dict[str, int]
    rows: dict[str, int]


def compact(root: Path) -> CompactionReport:
    """Merge each partition's job files into one file per table, without changing, adding or losing a row.

    Every file is read and checked (`check_store`) before anything is written: a corrupt or foreign file, or
    a store breaking its consistency rules, is refused with nothing changed.
    """
    root = Path(root)
    settle_journals(root)  # an earlier compaction's own completion (or roll-back), before anything is read
    check = check_store(root, ignore_interrupted=True)
    if check.problems():
        raise StoreError(
            "compact refuses to merge a store that breaks its consistency rules (nothing was "
            "changed):\n  - "
            + "\n  - ".join(check.problems())
            + "\nrerun the sweep's `run` command first: it re-evaluates incomplete runs"
        )
    recover(root)
    before = {name: len(committed_files(root, name)) for name in WRITE_ORDER}
    rows = {name: 0 for name in WRITE_ORDER}
    partitions = sorted({partition_of(p) for p in committed_files(root, COMMIT_TABLE)})
    for dataset, objective in partitions:
        sources = {
            name: [p for p in committed_files(root, name) if partition_of(p) == (dataset, objective)]
            for name in WRITE_ORDER
        }
        if len(sources[COMMIT_TABLE]) > 1:
            _compact_partition(root, dataset, objective, sources)
    for name in WRITE_ORDER:
        rows[name] = sum(pq.ParquetFile(p).metadata.num_rows for p in committed_files(root, name))
    return CompactionReport(before, {name: len(committed_files(root, name)) for name in WRITE_ORDER}, rows)


def _compact_partition(root: Path, dataset: str, objective: str, sources: dict[str, list[Path]]) -> None:
    """Merge one partition's files under a journal: merged files first (runs last), then the sources go."""
    names = sorted(p.name for p in sources[COMMIT_TABLE])
    merged_id = "compact-" + hashlib.sha256("|".join(names).encode()).hexdigest()[:16]
    journal = root / f".compact-{dataset}-{objective}-{merged_id}.json"
    listed = {name: [str(p.relative_to(root)) for p in paths] for name, paths in sources.items()}
    _write_atomic(
        journal, {"dataset": dataset, "objective": objective, "merged_id": merged_id, "sources": listed}
    )
    for name in WRITE_ORDER:
        if sources[name]:
            merged = pa.concat_tables([_read_file(p, name) for p in sources[name]])
            write_table(
                root,
                name,
                _with_partition(merged, dataset, objective),
                dataset=dataset,
                objective=objective,
                job_id=merged_id,
            )
    _settle_compaction(root, journal)


def _settle_compaction(root: Path, journal: Path) -> list[Path]:
    """Finish a journaled compaction whose merged `runs` file exists (drop sources), else roll it back."""
    entry = json.loads(journal.read_text())
    merged = {
        name: job_path(root, name, entry["dataset"], entry["objective"], entry["merged_id"])
        for name in WRITE_ORDER
    }
    if merged[COMMIT_TABLE].exists():
        doomed = [root / p for ps in entry["sources"].values() for p in ps]
        doomed = [p for p in doomed if p not in merged.values()]
    else:
        doomed = list(merged.values())
    removed = [p for p in doomed if p.exists()]
    for path in removed:
        path.unlink()
    journal.unlink()
    return removed


def _read_file(path: Path, name: str) -> pa.Table:
    """One committed file's rows with the table's file schema; a file that cannot be read raises naming it."""
    try:
        return pq.read_table(path, schema=file_schema(name))
    except (OSError, pa.ArrowException) as err:
        raise CorruptFileError(path, str(err)) from err


def _with_partition(rows: pa.Table, dataset: str, objective: str) -> pa.Table:
    """Rows of one partition's file with the partition columns added back (what write_table expects)."""
    n = rows.num_rows
    return rows.append_column("dataset", pa.array([dataset] * n, pa.string())).append_column(
        "objective", pa.array([objective] * n, pa.string())
    )


def _write_atomic(path: Path, content: dict) -> None:
    """Write a small JSON file under a temporary name and rename it into place."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(content))
    os.replace(temporary, path)
